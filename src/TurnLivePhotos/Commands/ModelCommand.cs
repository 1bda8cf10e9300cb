using System.CommandLine;
using System.Diagnostics;
using Polly.Timeout;
using Spectre.Console;
using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Core.Models;
using TurnLivePhotos.Engine.Svd;
using TurnLivePhotos.Hub;

namespace TurnLivePhotos.Commands;

/// <summary>
/// <c>model download [svd|animatelcm|depth|rife]|status|verify</c>: get the AI models from a hub or mirror into
/// ModelsHome (and RIFE's weights from their pinned release URL), say where the models the engines will use are, and
/// re-check a model's files against the hub's hashes (or RIFE's pinned SHA-256).
/// </summary>
public static class ModelCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var model = new Command("model", "Get the AI model (download), see where it is (status), check its files (verify)");
        model.Subcommands.Add(CreateDownload(output, error));
        model.Subcommands.Add(CreateStatus(output));
        model.Subcommands.Add(CreateVerify(output, error));
        return model;
    }

    /// <summary>The names <c>model download</c> takes: svd, animatelcm, depth, rife.</summary>
    private static string ModelNames => TurnLivePhotos.Media.EnumNames.List<DownloadableModel>();

    /// <summary>The model argument of download and verify: one of <see cref="ModelNames"/>, svd when absent.</summary>
    private static Argument<DownloadableModel> ModelArgument(string command, string description) => new("model")
    {
        Description = description,
        HelpName = string.Join('|', Enum.GetValues<DownloadableModel>().Select(TurnLivePhotos.Media.EnumNames.Of)),
        DefaultValueFactory = _ => DownloadableModel.Svd,
        CustomParser = result =>
        {
            if (result.Tokens.Count == 0)
            {
                return DownloadableModel.Svd;
            }

            var text = result.Tokens[0].Value.Trim();
            if (TurnLivePhotos.Media.EnumNames.TryParse<DownloadableModel>(text, out var model))
            {
                return model;
            }

            result.AddError($"model {command}: the model must be one of {ModelNames}, got \"{text}\"");
            return default;
        },
    };

    private static Command CreateDownload(TextWriter output, TextWriter error)
    {
        var connections = new Option<int>("--connections") { Description = "Files fetched at once", DefaultValueFactory = _ => 4 };
        var retries = new Option<int>("--retries")
        {
            Description = "Retries of a failed request or transfer (with growing delays) before giving up",
            DefaultValueFactory = _ => new HubClientOptions().RetryAttempts,
        };
        retries.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 0 or > 20)
            {
                result.AddError("--retries must be between 0 and 20");
            }
        });
        var which = ModelArgument("download", "svd (the default: the SVD pipeline into ModelsHome/ModelName), animatelcm (AnimateLCM-SVD-xt's UNet file, for UNetWeights), depth (Depth Anything V2 Small into ModelsHome/DepthModelName) or rife (Practical-RIFE v4.25's flownet.pkl from RifeModelUrl into RifeModelPath)");
        var command = new Command("download", "Fetch a model from the hub of [InstallationOptions] ModelRepositoryUrl (or HF_ENDPOINT), or RIFE's from its pinned URL, into ModelsHome; resumes, verifies SHA-256, does nothing when complete");
        command.Arguments.Add(which);
        command.Options.Add(connections);
        command.Options.Add(retries);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = CommonOptions.LoadSettings(parse, []);
            var kind = parse.GetValue(which);
            if (kind == DownloadableModel.Rife)
            {
                var options = new HubClientOptions { Connections = 1, RetryAttempts = parse.GetValue(retries) };
                return await DownloadPinnedAsync(ModelDownloads.Rife(settings), options, output, error, cancellationToken);
            }

            var token = HubToken.Find(settings.HubToken, Environment.GetEnvironmentVariable);
            try
            {
                var request = ModelDownloads.For(kind, settings, Environment.GetEnvironmentVariable);
                var location = ModelDownloads.LocateSvd(settings, Environment.GetEnvironmentVariable);
                if (kind == DownloadableModel.Svd && location.Source is ModelSource.HubCache or ModelSource.SingleFile)
                {
                    await output.WriteLineAsync($"SVD model: already available ({location.Description}); nothing to download");
                    return Cli.Success;
                }

                using var client = new HubClient(new HubClientOptions { Connections = Math.Max(1, parse.GetValue(connections)), RetryAttempts = parse.GetValue(retries) }, token);
                var downloader = new ModelDownloader(client);
                await output.WriteLineAsync($"{request.Name}: {request.Repository} → {request.Destination}{(token is null ? string.Empty : $" (with the {token})")}");
                var clock = Stopwatch.StartNew();
                var result = await RunWithProgressAsync(request.Name, progress => downloader.DownloadAsync(request, progress, cancellationToken), output);
                var manifest = result.Manifest;
                await output.WriteLineAsync(result.AlreadyComplete
                    ? $"{request.Name}: complete already ({manifest.Files.Count} files, {ModelDownloader.Gigabytes(manifest.TotalBytes)}, commit {manifest.Commit}); nothing to do"
                    : $"{request.Name}: {result.FilesFetched} files fetched and verified ({ModelDownloader.Gigabytes(result.BytesFetched)} in {clock.Elapsed.TotalSeconds:0.0} s), commit {manifest.Commit}, {manifest.Files.Count} files in all");
                if (kind == DownloadableModel.AnimateLcm)
                {
                    await output.WriteLineAsync(AnimateLcmNote(settings));
                }

                return Cli.Success;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await error.WriteLineAsync($"interrupted: what was fetched is kept (*.part files); run `{ModelDownloads.CommandFor(kind)}` again to resume");
                return Cli.Interrupted;
            }
            catch (Exception ex) when (ex is HubException or HttpRequestException or NotEnoughSpaceException or TimeoutRejectedException or IOException or UnauthorizedAccessException)
            {
                var message = HubUnreachable.Find(ex) is { } unreachable
                    ? HubUnreachable.Describe(unreachable, ModelDownloads.For(kind, settings, Environment.GetEnvironmentVariable).Repository, settings.ModelRepositoryUrl,
                        endpointFromVariable: !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(HubRepository.EndpointVariable)))
                    : ex.Message.ReplaceLineEndings(" ");
                await error.WriteLineAsync("error: " + (token?.Redact(message) ?? message));
                return Cli.SomeFailed;
            }
        });
        return command;
    }

    private static Command CreateStatus(TextWriter output)
    {
        var command = new Command("status", "Say where the SVD model is (ModelsHome, the Hugging Face cache, a single file) and how it was fetched, and whether the depth model, UNet weights and RIFE model are there");
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = CommonOptions.LoadSettings(parse, []);
            var location = ModelDownloads.LocateSvd(settings, Environment.GetEnvironmentVariable);
            var request = ModelDownloads.Svd(settings, Environment.GetEnvironmentVariable);
            var manifest = DownloadManifest.Read(request.Destination);
            switch (location.Source)
            {
                case ModelSource.Missing:
                    var partial = manifest is null ? string.Empty : $"; a download of {manifest.Repository} (commit {manifest.Commit}) is unfinished";
                    await output.WriteLineAsync($"SVD model: not found ({location.Description}){partial}. Get it with `{ModelDownloads.Command}` (from {request.Repository})");
                    break;
                case ModelSource.ModelsHome when manifest is not null:
                    await output.WriteLineAsync($"SVD model: found in ModelsHome: {location.Path}");
                    await output.WriteLineAsync($"  downloaded from {manifest.Repository} on {manifest.Endpoint}, commit {manifest.Commit}, {manifest.Files.Count} files, {ModelDownloader.Gigabytes(manifest.TotalBytes)}{(manifest.Complete ? string.Empty : " (unfinished)")}");
                    break;
                case ModelSource.ModelsHome:
                    await output.WriteLineAsync($"SVD model: found in ModelsHome: {location.Path} (laid out by hand; no download record)");
                    break;
                case ModelSource.HubCache:
                    await output.WriteLineAsync($"SVD model: found in the {location.Description}, used in place");
                    break;
                default:
                    await output.WriteLineAsync($"SVD model: {location.Description}");
                    break;
            }

            await output.WriteLineAsync(DepthStatus(settings));
            await output.WriteLineAsync(AnimateLcmStatus(settings));
            await output.WriteLineAsync(RifeStatus(settings));
            return Cli.Success;
        });
        return command;
    }

    /// <summary>After <c>model download animatelcm</c>: the UNetWeights line that puts the file to use, unless the settings already name it.</summary>
    private static string AnimateLcmNote(AppSettings settings)
    {
        var path = ModelDownloads.AnimateLcmPath(settings);
        return settings.Model.UNetWeights switch
        {
            { } configured when PathsEqual(configured, path) => "AnimateLCM UNet: [ModelOptions] UNetWeights names it; --quality fast (or --sampler animatelcm) runs the few-step sampler",
            { } other => $"AnimateLCM UNet: [ModelOptions] UNetWeights names another file ({other}); to use this one set UNetWeights={path}",
            _ => $"AnimateLCM UNet: to use it, set [ModelOptions] UNetWeights={path} (or --set ModelOptions:UNetWeights={path}); then --quality fast runs 4 AnimateLCM steps",
        };
    }

    private static string DepthStatus(AppSettings settings)
    {
        var folder = Path.GetFullPath(Path.Combine(settings.Store.ModelsHome, settings.Model.DepthModelName));
        var missing = TurnLivePhotos.Engine.Depth.DepthModelFolder.FindMissing(folder);
        var manifest = DownloadManifest.Read(folder);
        var record = manifest is null ? " (laid out by hand; no download record)" : $" (downloaded from {manifest.Repository}, commit {manifest.Commit}{(manifest.Complete ? string.Empty : ", unfinished")})";
        return missing.Count == 0
            ? $"depth model: found in ModelsHome: {folder}{record}"
            : $"depth model: not found ({folder}: missing {string.Join(", ", missing)}). Get it with `{ModelDownloads.CommandFor(DownloadableModel.Depth)}`";
    }

    private static string AnimateLcmStatus(AppSettings settings)
    {
        var downloaded = ModelDownloads.AnimateLcmPath(settings);
        return settings.Model.UNetWeights switch
        {
            { } configured when File.Exists(configured) => $"UNet weights: [ModelOptions] UNetWeights = {configured}, used instead of the model folder's UNet",
            { } configured => $"UNet weights: [ModelOptions] UNetWeights = {configured} does not exist",
            _ when File.Exists(downloaded) => $"AnimateLCM UNet: downloaded to {downloaded} but not in use; set [ModelOptions] UNetWeights={downloaded}",
            _ => $"AnimateLCM UNet: not configured (optional, for --quality fast in 4 steps; `{ModelDownloads.CommandFor(DownloadableModel.AnimateLcm)}` fetches it)",
        };
    }

    private static string RifeStatus(AppSettings settings)
    {
        var path = settings.Model.RifeModelPath;
        var use = settings.Model.Interpolation.ToString().ToLowerInvariant();
        return File.Exists(path)
            ? $"RIFE model: found at {path} (Interpolation = {use}{(settings.Model.Interpolation == Core.Conversion.InterpolationMode.Off ? ": not used" : ": AI clips are brought to 30 fps")})"
            : $"RIFE model: not found at {path} (optional, brings AI clips to 30 fps). Get it with `{ModelDownloads.CommandFor(DownloadableModel.Rife)}` (Practical-RIFE v4.25 from {settings.Model.RifeModelUrl})";
    }

    private static bool PathsEqual(string a, string b) =>
        string.Equals(Path.GetFullPath(a), Path.GetFullPath(b), OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    private static Command CreateVerify(TextWriter output, TextWriter error)
    {
        var which = ModelArgument("verify", "svd (the default), animatelcm, depth or rife: the model whose files are re-hashed");
        var command = new Command("verify", "Re-hash a model's files against the hashes the hub listed (RIFE: its pinned SHA-256)");
        command.Arguments.Add(which);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = CommonOptions.LoadSettings(parse, []);
            if (parse.GetValue(which) is var kind && kind == DownloadableModel.Rife)
            {
                return await VerifyPinnedAsync(ModelDownloads.Rife(settings), output, error, cancellationToken);
            }

            if (kind != DownloadableModel.Svd)
            {
                return await VerifyDownloadedAsync(kind, settings, output, error, cancellationToken);
            }

            var location = ModelDownloads.LocateSvd(settings, Environment.GetEnvironmentVariable);
            IReadOnlyList<string> problems;
            int checkedFiles;
            switch (location.Source)
            {
                case ModelSource.ModelsHome when DownloadManifest.Read(location.Path) is { } manifest:
                    problems = await ModelDownloader.VerifyAsync(location.Path, manifest, null, cancellationToken);
                    checkedFiles = manifest.Files.Count;
                    break;
                case ModelSource.HubCache:
                    (problems, checkedFiles) = await VerifyCachedAsync(location.Path, cancellationToken);
                    break;
                case ModelSource.Missing:
                    await error.WriteLineAsync($"error: SVD model not found ({location.Description}); get it with `{ModelDownloads.Command}`");
                    return Cli.SomeFailed;
                default:
                    await error.WriteLineAsync($"error: {location.Description} has no hub hashes to check against (it was not fetched by `{ModelDownloads.Command}`)");
                    return Cli.SomeFailed;
            }

            foreach (var problem in problems)
            {
                await error.WriteLineAsync($"error: {problem}");
            }

            await output.WriteLineAsync(problems.Count == 0
                ? $"SVD model: {checkedFiles} files verified ({location.Description})"
                : $"SVD model: {problems.Count} of {checkedFiles} files do not match; `{ModelDownloads.Command}` fetches them again");
            return problems.Count == 0 ? Cli.Success : Cli.SomeFailed;
        });
        return command;
    }

    /// <summary>
    /// <c>model download rife</c>: one file from a pinned URL, with the hub downloads' resume and checks, and their
    /// progress. A mismatch leaves nothing behind and is one line; so is a different file already at the path.
    /// </summary>
    private static async Task<int> DownloadPinnedAsync(PinnedFile pinned, HubClientOptions options, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var command = ModelDownloads.CommandFor(DownloadableModel.Rife);
        try
        {
            using var client = new HubClient(options, token: null);
            var downloader = new PinnedFileDownloader(client);
            await output.WriteLineAsync($"{pinned.Name}: {pinned.Url} → {pinned.Destination}");
            var clock = Stopwatch.StartNew();
            var result = await RunWithProgressAsync(pinned.Name, progress => downloader.DownloadAsync(pinned, progress, cancellationToken), output);
            await output.WriteLineAsync(result.AlreadyComplete
                ? $"{pinned.Name}: {pinned.Destination} is there and matches {result.File.Check}; nothing to do"
                : $"{pinned.Name}: fetched and verified ({ModelDownloader.Gigabytes(result.BytesFetched)} in {clock.Elapsed.TotalSeconds:0.0} s, {result.File.Check}) into {pinned.Destination}");
            return Cli.Success;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await error.WriteLineAsync($"interrupted: what was fetched is kept ({FileDownloader.PartPath(pinned.Destination)}); run `{command}` again to resume");
            return Cli.Interrupted;
        }
        catch (HashMismatchException ex)
        {
            await error.WriteLineAsync($"error: {pinned.Name}: {ex.Message.ReplaceLineEndings(" ")}; the download was deleted. Check [ModelOptions] RifeModelUrl, or set RifeModelSha256 if this is the file you want");
            return Cli.SomeFailed;
        }
        catch (Exception ex) when (ex is HubException or HttpRequestException or NotEnoughSpaceException or TimeoutRejectedException or IOException or UnauthorizedAccessException)
        {
            var message = HubUnreachable.Find(ex) is { } unreachable
                ? $"offline or unreachable: {pinned.Url.GetLeftPart(UriPartial.Authority)} could not be reached ({unreachable.Message.ReplaceLineEndings(" ")}); to fetch from a mirror, set [ModelOptions] RifeModelUrl"
                : ex.Message.ReplaceLineEndings(" ");
            await error.WriteLineAsync("error: " + message);
            return Cli.SomeFailed;
        }
    }

    /// <summary><c>model verify rife</c>: the file at RifeModelPath re-hashed against the pinned (or configured) SHA-256.</summary>
    private static async Task<int> VerifyPinnedAsync(PinnedFile pinned, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var command = ModelDownloads.CommandFor(DownloadableModel.Rife);
        if (!File.Exists(pinned.Destination))
        {
            await error.WriteLineAsync($"error: {pinned.Name}: nothing at {pinned.Destination}; `{command}` fetches it");
            return Cli.SomeFailed;
        }

        var file = new HubFile(Path.GetFileName(pinned.Destination), pinned.Size ?? new FileInfo(pinned.Destination).Length, pinned.Sha256, null);
        if (await FileDownloader.CheckAsync(pinned.Destination, file, cancellationToken) is { } problem)
        {
            await error.WriteLineAsync($"error: {pinned.Name}: {pinned.Destination}: {problem}; move it away and run `{command}` to fetch the pinned file");
            return Cli.SomeFailed;
        }

        await output.WriteLineAsync($"{pinned.Name}: {pinned.Destination} verified ({file.Check})");
        return Cli.Success;
    }

    /// <summary>A model only <c>model download</c> puts in place (the AnimateLCM UNet, the depth model): re-hashed against its download record.</summary>
    private static async Task<int> VerifyDownloadedAsync(DownloadableModel kind, AppSettings settings, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        DownloadRequest request;
        try
        {
            request = ModelDownloads.For(kind, settings, Environment.GetEnvironmentVariable);
        }
        catch (HubException ex)
        {
            await error.WriteLineAsync("error: " + ex.Message);
            return Cli.SomeFailed;
        }

        if (DownloadManifest.Read(request.Destination) is not { Complete: true } manifest)
        {
            await error.WriteLineAsync($"error: {request.Name}: no finished download in {request.Destination} to check against; `{ModelDownloads.CommandFor(kind)}` fetches it");
            return Cli.SomeFailed;
        }

        var problems = await ModelDownloader.VerifyAsync(request.Destination, manifest, null, cancellationToken);
        foreach (var problem in problems)
        {
            await error.WriteLineAsync($"error: {problem}");
        }

        await output.WriteLineAsync(problems.Count == 0
            ? $"{request.Name}: {manifest.Files.Count} files verified ({request.Destination}, commit {manifest.Commit})"
            : $"{request.Name}: {problems.Count} of {manifest.Files.Count} files do not match; delete them and run `{ModelDownloads.CommandFor(kind)}` to fetch them again");
        return problems.Count == 0 ? Cli.Success : Cli.SomeFailed;
    }

    /// <summary>In the Hugging Face cache, weights are blobs named by their SHA-256: re-hash each against its name.</summary>
    private static async Task<(IReadOnlyList<string> Problems, int Checked)> VerifyCachedAsync(string snapshot, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var count = 0;
        foreach (var path in Directory.EnumerateFiles(snapshot, "*", SearchOption.AllDirectories))
        {
            if (HubCache.BlobSha256(path) is not { } sha256)
            {
                continue;
            }

            count++;
            var file = new HubFile(Path.GetRelativePath(snapshot, path), new FileInfo(path).Length, sha256, null);
            if (await FileDownloader.CheckAsync(path, file, cancellationToken) is { } problem)
            {
                problems.Add($"{file.Path}: {problem}");
            }
        }

        return (problems, count);
    }

    /// <summary>A bar with size, speed and ETA on a terminal; otherwise a plain line per file and every 10 %.</summary>
    internal static async Task<T> RunWithProgressAsync<T>(string name, Func<IDownloadProgress, Task<T>> download, TextWriter output)
    {
        var interactive = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
        if (!interactive)
        {
            return await download(new PlainProgress(output));
        }

        T? result = default;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var bar = new BarProgress(context, Markup.Escape(name));
                result = await download(bar);
                bar.Finish();
            });
        return result!;
    }

    private sealed class BarProgress(ProgressContext context, string name) : IDownloadProgress
    {
        private ProgressTask? task;

        public void Planned(DownloadPlan plan)
        {
            task = context.AddTask(name, maxValue: Math.Max(1, plan.TotalBytes));
            task.Value = plan.BytesPresent;
        }

        public void Advanced(HubFile file, long delta)
        {
            if (task is not null)
            {
                lock (task)
                {
                    task.Increment(delta);
                }
            }
        }

        public void Completed(HubFile file)
        {
        }

        public void Finish()
        {
            if (task is not null)
            {
                task.Value = task.MaxValue;
            }
        }
    }

    private sealed class PlainProgress(TextWriter output) : IDownloadProgress
    {
        private readonly Lock gate = new();
        private readonly Stopwatch clock = new();
        private long total;
        private long held;
        private long startedWith;
        private int lastTenth;

        public void Planned(DownloadPlan plan)
        {
            lock (gate)
            {
                total = plan.TotalBytes;
                held = startedWith = plan.BytesPresent;
                lastTenth = (int)(10 * plan.BytesPresent / Math.Max(1, total));
                output.WriteLine($"{plan.Files} {(plan.Files == 1 ? "file" : "files")} {plan.Pin}, {ModelDownloader.Gigabytes(total)} ({ModelDownloader.Gigabytes(plan.BytesPresent)} already here)");
                clock.Start();
            }
        }

        public void Advanced(HubFile file, long delta)
        {
            lock (gate)
            {
                held += delta;
                var tenth = (int)(10 * held / Math.Max(1, total));
                if (tenth > lastTenth && tenth < 10)
                {
                    lastTenth = tenth;
                    var speed = (held - startedWith) / Math.Max(clock.Elapsed.TotalSeconds, 1e-3);
                    var eta = speed > 0 ? TimeSpan.FromSeconds((total - held) / speed) : TimeSpan.Zero;
                    output.WriteLine($"  {tenth * 10} %: {ModelDownloader.Gigabytes(held)} of {ModelDownloader.Gigabytes(total)}, {speed / 1e6:0.0} MB/s, ETA {eta:hh\\:mm\\:ss}");
                }
            }
        }

        public void Completed(HubFile file)
        {
            lock (gate)
            {
                output.WriteLine($"  verified {file.Path} ({ModelDownloader.Gigabytes(file.Size)}, {file.Check})");
            }
        }
    }
}
