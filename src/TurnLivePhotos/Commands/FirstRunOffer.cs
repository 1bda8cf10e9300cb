using Polly.Timeout;
using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Core.Models;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Engine.Depth;
using TurnLivePhotos.Hub;

namespace TurnLivePhotos.Commands;

/// <summary>What the offer came to: the depth model is now in place, or the run goes on with the classic engine.</summary>
public enum FirstRunOutcome
{
    /// <summary>Not offered: an engine was named, the depth model is there, or nobody is at a terminal (and no --yes).</summary>
    NotOffered,

    /// <summary>The hub could not be reached or listed; one note line said so.</summary>
    HubUnavailable,

    /// <summary>Asked, and the answer was not yes.</summary>
    Declined,

    /// <summary>Downloaded (or found complete): the cinematic engine can run.</summary>
    Downloaded,

    /// <summary>The download started and failed; one error line said why (what was fetched is kept for a resume).</summary>
    DownloadFailed,
}

/// <summary>
/// <c>convert</c>'s first run with no model: when the engine is auto, the depth model is missing and a person is at a
/// terminal (or gave --yes), it says what it would fetch (name, size from the hub's listing, licence, folder), asks
/// once, and on yes fetches it with <see cref="ModelDownloader"/> as <c>model download depth</c> does. Nothing is
/// fetched without a yes; without a terminal nothing is asked and the hub is not contacted.
/// </summary>
public static class FirstRunOffer
{
    public const string Question = "Download it now and use the cinematic engine? [y/N] ";

    /// <summary>The licence of the default depth model (Depth Anything V2 Small; its Base and Large siblings are non-commercial).</summary>
    private const string DefaultDepthLicence = "Apache-2.0";

    public static async Task<FirstRunOutcome> RunAsync(AppSettings settings, string? depthModelFolder, bool yes, Terminal terminal, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(terminal);
        if (settings.Model.Engine != EngineKind.Auto || depthModelFolder is null || DepthModelFolder.FindMissing(depthModelFolder).Count == 0
            || ModelDownloads.LocateSvd(settings, Environment.GetEnvironmentVariable).IsUsable || !(yes || terminal.IsInteractive))
        {
            return FirstRunOutcome.NotOffered;
        }

        var environment = (Func<string, string?>)Environment.GetEnvironmentVariable;
        var token = HubToken.Find(settings.HubToken, environment);
        DownloadRequest? request = null;
        long size;
        try
        {
            // One quick look at the hub (no retries): an offline machine costs a second, not a minute of back-off.
            request = ModelDownloads.Depth(settings, environment);
            using var lookup = new HubClient(new HubClientOptions { RetryAttempts = 0, AttemptTimeout = TimeSpan.FromSeconds(15) }, token);
            var commit = await lookup.GetCommitAsync(request.Repository, request.Revision, cancellationToken);
            var listing = await lookup.ListFilesAsync(request.Repository, commit, cancellationToken);
            var chosen = request.Select(listing.Select(file => file.Path).ToList()).ToHashSet(StringComparer.Ordinal);
            size = listing.Where(file => chosen.Contains(file.Path)).Sum(file => file.Size);
        }
        catch (Exception ex) when (IsHubFailure(ex))
        {
            await error.WriteLineAsync($"note: the depth model for the AI (cinematic) engine could not be offered: {Describe(ex, request, settings, token)}");
            return FirstRunOutcome.HubUnavailable;
        }

        var licence = request.Repository.RepoId == DepthModelFolder.DefaultName ? DefaultDepthLicence : $"see {request.Repository.ModelPage}";
        await output.WriteLineAsync($"No AI model yet. The cinematic engine (AI depth, camera motion) needs the depth model {request.Repository.RepoId}: "
            + $"{ModelDownloader.Gigabytes(size)} from {request.Repository.Endpoint.GetLeftPart(UriPartial.Authority)}, licence {licence}, into {request.Destination}.");
        if (yes)
        {
            await output.WriteLineAsync("Downloading it (--yes).");
        }
        else
        {
            await output.WriteAsync(Question);
            await output.FlushAsync(cancellationToken);
            var answer = (await terminal.Input.ReadLineAsync(cancellationToken))?.Trim();
            if (answer is null || !(answer.Equals("y", StringComparison.OrdinalIgnoreCase) || answer.Equals("yes", StringComparison.OrdinalIgnoreCase)))
            {
                await output.WriteLineAsync(answer is null ? string.Empty : $"Not downloaded; `{ModelDownloads.CommandFor(DownloadableModel.Depth)}` fetches it later.");
                return FirstRunOutcome.Declined;
            }
        }

        try
        {
            Directory.CreateDirectory(request.Destination);
            using var client = new HubClient(new HubClientOptions(), token);
            var downloader = new ModelDownloader(client);
            var result = await ModelCommand.RunWithProgressAsync(request.Name, progress => downloader.DownloadAsync(request, progress, cancellationToken), output);
            await output.WriteLineAsync($"{request.Name}: {result.Manifest.Files.Count} files verified in {request.Destination}, commit {result.Manifest.Commit}");
            return FirstRunOutcome.Downloaded;
        }
        catch (Exception ex) when (IsHubFailure(ex) || ex is NotEnoughSpaceException or IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"error: the depth model download failed: {Describe(ex, request, settings, token)}; "
                + $"what was fetched is kept (`{ModelDownloads.CommandFor(DownloadableModel.Depth)}` resumes it)");
            return FirstRunOutcome.DownloadFailed;
        }
    }

    private static bool IsHubFailure(Exception ex) => ex is HubException or HttpRequestException or TimeoutRejectedException or UriFormatException;

    /// <summary>Offline named as such, with the mirror settings (as <c>model download</c> words it); any token redacted.</summary>
    private static string Describe(Exception ex, DownloadRequest? request, AppSettings settings, HubToken? token)
    {
        var message = HubUnreachable.Find(ex) is { } unreachable && request is not null
            ? HubUnreachable.Describe(unreachable, request.Repository, settings.ModelRepositoryUrl,
                endpointFromVariable: !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(HubRepository.EndpointVariable)))
            : ex.Message.ReplaceLineEndings(" ");
        return token?.Redact(message) ?? message;
    }
}
