using TurnLivePhotos.Engine;
using TurnLivePhotos.Engine.Cinematic;
using TurnLivePhotos.Engine.Classic;
using TurnLivePhotos.Engine.Svd;

namespace TurnLivePhotos.Core.Conversion;

/// <summary>An engine picked for a job, with the reason in words a person can read.</summary>
public sealed record EngineChoice(IMotionEngine Engine, string Reason);

/// <summary>
/// Knows which engines exist and picks one for a request. "auto" prefers SVD when its model folder is complete,
/// then the cinematic engine when the depth model folder is, then the classic engine, and says why.
/// </summary>
public sealed class EngineCatalog : IDisposable
{
    private readonly IMotionEngine classic;
    private readonly IMotionEngine? svd;
    private readonly IMotionEngine? cinematic;

    public EngineCatalog(string modelFolder, IMotionEngine? classic = null, IMotionEngine? svd = null, string? depthModelFolder = null, IMotionEngine? cinematic = null, FrameInterpolation? interpolation = null)
    {
        Interpolation = interpolation ?? FrameInterpolation.Off;
        ModelFolder = modelFolder;
        DepthModelFolder = depthModelFolder;
        this.classic = classic ?? new ClassicMotionEngine();
        this.svd = svd;
        this.cinematic = cinematic;
    }

    public string ModelFolder { get; }

    /// <summary>What happens between an engine and the writer: RIFE for a short AI clip, or nothing.</summary>
    public FrameInterpolation Interpolation { get; }

    /// <summary>The cinematic engine's Depth Anything folder; null when this set-up has no cinematic engine.</summary>
    public string? DepthModelFolder { get; }

    /// <summary>The built-in engines for these settings: classic, SVD on the configured model folder, cinematic on the depth model folder.</summary>
    public static EngineCatalog FromSettings(Configuration.AppSettings settings, Microsoft.Extensions.Logging.ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(loggers);
        var model = settings.Model;
        var folder = Models.ModelDownloads.LocateSvd(settings, Environment.GetEnvironmentVariable).Path;
        var svd = new SvdMotionEngine(
            new SvdEngineOptions(folder, string.IsNullOrEmpty(model.Variant) ? null : model.Variant, model.Device, model.MemoryMode,
                model.GpuMemoryLimitMb * 1024L * 1024L, model.UNetWeights, settings.Store.GraphCache),
            Microsoft.Extensions.Logging.LoggerFactoryExtensions.CreateLogger<SvdMotionEngine>(loggers));
        var depthFolder = Path.Combine(settings.Store.ModelsHome, model.DepthModelName);
        var cinematic = new CinematicMotionEngine(new CinematicEngineOptions(depthFolder),
            Microsoft.Extensions.Logging.LoggerFactoryExtensions.CreateLogger<CinematicMotionEngine>(loggers));
        var interpolation = new FrameInterpolation(model.Interpolation, model.RifeModelPath,
            Path.Combine(settings.Store.GraphCache ?? Path.Combine(Path.GetTempPath(), "turnlivephotos"), "rife"),
            device: model.Device, logger: Microsoft.Extensions.Logging.LoggerFactoryExtensions.CreateLogger<FrameInterpolation>(loggers));
        return new EngineCatalog(folder, svd: svd, depthModelFolder: depthFolder, cinematic: cinematic, interpolation: interpolation);
    }

    /// <summary>Every engine of this set-up, classic first.</summary>
    public IEnumerable<IMotionEngine> All => new[] { classic, svd, cinematic }.OfType<IMotionEngine>();

    /// <exception cref="EngineUnavailableException">SVD or cinematic was asked for and cannot run here.</exception>
    public EngineChoice Resolve(EngineKind kind)
    {
        switch (kind)
        {
            case EngineKind.Classic:
                return new EngineChoice(classic, "classic motion engine requested (not AI)");
            case EngineKind.Svd:
                return new EngineChoice(RequireSvd(), $"SVD engine requested, model folder {ModelFolder}");
            case EngineKind.Cinematic:
                return new EngineChoice(RequireCinematic(), $"cinematic engine requested, depth model folder {DepthModelFolder}");
            default:
                var missing = SvdModelFolder.FindMissing(ModelFolder);
                if (svd is not null && missing.Count == 0)
                {
                    return new EngineChoice(svd, $"SVD model folder found at {ModelFolder}");
                }

                var why = missing.Count > 0 ? DescribeMissing(missing) : "the SVD engine is not part of this set-up";
                if (cinematic is not null && DepthModelFolder is not null && TurnLivePhotos.Engine.Depth.DepthModelFolder.FindMissing(DepthModelFolder).Count == 0)
                {
                    return new EngineChoice(cinematic, $"{why}; depth model found at {DepthModelFolder}: using the cinematic engine (AI depth, camera motion)");
                }

                var depthWhy = cinematic is null || DepthModelFolder is null ? "the cinematic engine is not part of this set-up" : DescribeMissingDepth();
                return new EngineChoice(classic, $"{why}; {depthWhy}: using the classic motion engine (not AI)");
        }
    }

    public void Dispose()
    {
        (svd as IDisposable)?.Dispose();
        (cinematic as IDisposable)?.Dispose();
        (classic as IDisposable)?.Dispose();
        Interpolation.Dispose();
    }

    private string DescribeMissing(IReadOnlyList<string> missing) =>
        File.Exists(ModelFolder)
            ? $"{ModelFolder} is not a Stable Video Diffusion checkpoint in Stability's layout (it lacks {string.Join(", ", missing)})"
            : Directory.Exists(ModelFolder)
            ? $"the SVD model folder {ModelFolder} is incomplete (missing {string.Join(", ", missing)}; `{Models.ModelDownloads.Command}` fetches it)"
            : $"no SVD model at {ModelFolder} (get it with `{Models.ModelDownloads.Command}`)";

    private string DescribeMissingDepth()
    {
        var missing = TurnLivePhotos.Engine.Depth.DepthModelFolder.FindMissing(DepthModelFolder!);
        return Directory.Exists(DepthModelFolder)
            ? $"the depth model folder {DepthModelFolder} is incomplete (missing {string.Join(", ", missing)}; `{Models.ModelDownloads.CommandFor(Models.DownloadableModel.Depth)}` fetches it)"
            : $"no depth model folder at {DepthModelFolder} (get it with `{Models.ModelDownloads.CommandFor(Models.DownloadableModel.Depth)}`)";
    }

    private IMotionEngine RequireSvd()
    {
        var missing = SvdModelFolder.FindMissing(ModelFolder);
        if (missing.Count > 0)
        {
            throw new EngineUnavailableException($"the SVD engine cannot run: {DescribeMissing(missing)}");
        }

        return svd ?? throw new EngineUnavailableException("the SVD engine is not part of this set-up; use --engine classic or auto");
    }

    private IMotionEngine RequireCinematic()
    {
        if (cinematic is null || DepthModelFolder is null)
        {
            throw new EngineUnavailableException("the cinematic engine is not part of this set-up; use --engine classic or auto");
        }

        if (TurnLivePhotos.Engine.Depth.DepthModelFolder.FindMissing(DepthModelFolder).Count > 0)
        {
            throw new EngineUnavailableException($"the cinematic engine cannot run: {DescribeMissingDepth()}");
        }

        return cinematic;
    }
}
