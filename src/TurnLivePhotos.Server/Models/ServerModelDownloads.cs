using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Polly.Timeout;
using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Core.Models;
using TurnLivePhotos.Hub;

namespace TurnLivePhotos.Server.Models;

/// <summary>Where one model's download on the server stands.</summary>
public enum ModelDownloadState
{
    /// <summary>Not asked for since the server started.</summary>
    NotStarted,
    Running,
    Succeeded,
    Failed,
}

/// <summary>One model's download as the page follows it: bytes on disk of the planned total (null until the hub listed the files).</summary>
public sealed record ModelDownloadStatus(DownloadableModel Model, ModelDownloadState State, long BytesDone, long? BytesTotal, string? Message);

/// <summary>
/// Downloads started from the page (<c>POST /api/v1/models/{name}/download</c>): the same <see cref="ModelDownloader"/>
/// and <see cref="ModelDownloads"/> requests as <c>model download</c>, run in the background, at most one per model,
/// stopped with the server (the .part files stay and the next start resumes them).
/// </summary>
public sealed class ServerModelDownloads(AppSettings settings, IHostApplicationLifetime lifetime, ILogger<ServerModelDownloads> logger)
{
    private readonly Lock gate = new();
    private readonly Dictionary<DownloadableModel, Run> runs = [];

    /// <summary>The models the page may fetch: the SVD pipeline and the depth model an engine needs, and RIFE's weights that bring the SVD engine's clips to 30 fps.</summary>
    public static bool IsOffered(DownloadableModel model) => model is DownloadableModel.Svd or DownloadableModel.Depth or DownloadableModel.Rife;

    public ModelDownloadStatus Status(DownloadableModel model)
    {
        lock (gate)
        {
            return runs.TryGetValue(model, out var run) ? run.Status() : new ModelDownloadStatus(model, ModelDownloadState.NotStarted, 0, null, null);
        }
    }

    /// <summary>Starts the download unless one of this model is running; either way answers its status.</summary>
    public ModelDownloadStatus Start(DownloadableModel model)
    {
        lock (gate)
        {
            if (runs.TryGetValue(model, out var running) && running.State == ModelDownloadState.Running)
            {
                return running.Status();
            }

            var run = new Run(model);
            runs[model] = run;
            run.Task = Task.Run(() => DownloadAsync(run, lifetime.ApplicationStopping), CancellationToken.None);
            return run.Status();
        }
    }

    /// <summary>The download of <paramref name="model"/> started last, to wait for (tests, shutdown).</summary>
    public Task Completion(DownloadableModel model)
    {
        lock (gate)
        {
            return runs.TryGetValue(model, out var run) ? run.Task : Task.CompletedTask;
        }
    }

    private async Task DownloadAsync(Run run, CancellationToken stopping)
    {
        var environment = (Func<string, string?>)Environment.GetEnvironmentVariable;
        if (run.Model == DownloadableModel.Rife)
        {
            await DownloadPinnedAsync(run, stopping);
            return;
        }

        var token = HubToken.Find(settings.HubToken, environment);
        DownloadRequest? request = null;
        try
        {
            request = ModelDownloads.For(run.Model, settings, environment);
            Directory.CreateDirectory(request.Destination);
            using var client = new HubClient(new HubClientOptions(), token);
            logger.LogInformation("Model download from the page: {Name} from {Repository} into {Destination}", request.Name, request.Repository, request.Destination);
            var result = await new ModelDownloader(client).DownloadAsync(request, run, stopping);
            run.Succeed(result.Manifest.TotalBytes);
            logger.LogInformation("Model download from the page: {Name} complete ({Files} files)", request.Name, result.Manifest.Files.Count);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            run.Fail($"the server stopped during the download; what was fetched is kept and the next download resumes it");
        }
        catch (Exception ex) when (ex is HubException or HttpRequestException or NotEnoughSpaceException or TimeoutRejectedException or IOException or UnauthorizedAccessException or UriFormatException)
        {
            // The same words as `model download` prints: offline is named as such, with the mirror variable to set.
            var message = HubUnreachable.Find(ex) is { } unreachable && request is not null
                ? HubUnreachable.Describe(unreachable, request.Repository, settings.ModelRepositoryUrl,
                    endpointFromVariable: !string.IsNullOrWhiteSpace(environment(HubRepository.EndpointVariable)))
                : ex.Message.ReplaceLineEndings(" ");
            message = token?.Redact(message) ?? message;
            run.Fail(message);
            logger.LogWarning("Model download from the page failed: {Message}", message);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Anything else still ends the run, so the page never waits on a download that is no longer going.
            logger.LogError(ex, "Model download from the page failed");
            run.Fail($"the download failed: {(token?.Redact(ex.Message) ?? ex.Message).ReplaceLineEndings(" ")}");
        }
    }

    /// <summary>RIFE's weights from their pinned URL (no hub, no token), with the same resume and checks as <c>model download rife</c>.</summary>
    private async Task DownloadPinnedAsync(Run run, CancellationToken stopping)
    {
        var pinned = ModelDownloads.Rife(settings);
        try
        {
            using var client = new HubClient(new HubClientOptions(), token: null);
            logger.LogInformation("Model download from the page: {Name} from {Url} into {Destination}", pinned.Name, pinned.Url, pinned.Destination);
            var result = await new PinnedFileDownloader(client).DownloadAsync(pinned, run, stopping);
            run.Succeed(result.File.Size);
            logger.LogInformation("Model download from the page: {Name} complete ({Check})", pinned.Name, result.File.Check);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            run.Fail("the server stopped during the download; what was fetched is kept and the next download resumes it");
        }
        catch (Exception ex) when (ex is HubException or HashMismatchException or HttpRequestException or NotEnoughSpaceException or TimeoutRejectedException or IOException or UnauthorizedAccessException)
        {
            var message = HubUnreachable.Find(ex) is { } unreachable
                ? $"offline or unreachable: {pinned.Url.GetLeftPart(UriPartial.Authority)} could not be reached ({unreachable.Message.ReplaceLineEndings(" ")}); a mirror may be named in [ModelOptions] RifeModelUrl"
                : ex.Message.ReplaceLineEndings(" ");
            run.Fail(message);
            logger.LogWarning("Model download from the page failed: {Message}", message);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            logger.LogError(ex, "Model download from the page failed");
            run.Fail($"the download failed: {ex.Message.ReplaceLineEndings(" ")}");
        }
    }

    /// <summary>One download: its state and byte counts, fed by the downloader's progress calls from several threads.</summary>
    private sealed class Run(DownloadableModel model) : IDownloadProgress
    {
        private long done;
        private long total = -1;
        private volatile string? message;
        private volatile int state = (int)ModelDownloadState.Running;

        public DownloadableModel Model => model;

        public ModelDownloadState State => (ModelDownloadState)state;

        public Task Task { get; set; } = Task.CompletedTask;

        public ModelDownloadStatus Status()
        {
            var planned = Interlocked.Read(ref total);
            return new ModelDownloadStatus(model, State, Interlocked.Read(ref done), planned < 0 ? null : planned, message);
        }

        public void Succeed(long bytes)
        {
            Interlocked.Exchange(ref total, bytes);
            Interlocked.Exchange(ref done, bytes);
            state = (int)ModelDownloadState.Succeeded;
        }

        public void Fail(string reason)
        {
            message = reason;
            state = (int)ModelDownloadState.Failed;
        }

        void IDownloadProgress.Planned(DownloadPlan plan)
        {
            Interlocked.Exchange(ref done, plan.BytesPresent);
            Interlocked.Exchange(ref total, plan.TotalBytes);
        }

        void IDownloadProgress.Advanced(HubFile file, long delta) => Interlocked.Add(ref done, delta);

        void IDownloadProgress.Completed(HubFile file)
        {
        }
    }
}
