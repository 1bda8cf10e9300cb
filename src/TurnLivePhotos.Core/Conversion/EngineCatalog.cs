using TurnLivePhotos.Engine;
using TurnLivePhotos.Engine.Classic;
using TurnLivePhotos.Engine.Svd;

namespace TurnLivePhotos.Core.Conversion;

/// <summary>An engine picked for a job, with the reason in words a person can read.</summary>
public sealed record EngineChoice(IMotionEngine Engine, string Reason);

/// <summary>Knows which engines exist and picks one for a request ("auto" prefers SVD when its model folder is complete).</summary>
public sealed class EngineCatalog : IDisposable
{
    private readonly IMotionEngine classic;
    private readonly IMotionEngine? svd;

    public EngineCatalog(string modelFolder, IMotionEngine? classic = null, IMotionEngine? svd = null)
    {
        ModelFolder = modelFolder;
        this.classic = classic ?? new ClassicMotionEngine();
        this.svd = svd;
    }

    public string ModelFolder { get; }

    /// <summary>The built-in engines for these settings: classic, and SVD on the configured model folder.</summary>
    public static EngineCatalog FromSettings(Configuration.AppSettings settings, Microsoft.Extensions.Logging.ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(loggers);
        var model = settings.Model;
        var folder = Path.Combine(settings.Store.ModelsHome, model.ModelName);
        var svd = new SvdMotionEngine(
            new SvdEngineOptions(folder, string.IsNullOrEmpty(model.Variant) ? null : model.Variant, model.Device, model.MemoryMode,
                model.GpuMemoryLimitMb * 1024L * 1024L, model.UNetWeights),
            Microsoft.Extensions.Logging.LoggerFactoryExtensions.CreateLogger<SvdMotionEngine>(loggers));
        return new EngineCatalog(folder, svd: svd);
    }

    public IEnumerable<IMotionEngine> Engines => svd is null ? [classic] : [classic, svd];

    /// <exception cref="EngineUnavailableException">SVD was asked for and cannot run here.</exception>
    public EngineChoice Resolve(EngineKind kind)
    {
        switch (kind)
        {
            case EngineKind.Classic:
                return new EngineChoice(classic, "classic motion engine requested (not AI)");
            case EngineKind.Svd:
                return new EngineChoice(RequireSvd(), $"SVD engine requested, model folder {ModelFolder}");
            default:
                var missing = SvdModelFolder.FindMissing(ModelFolder);
                if (svd is not null && missing.Count == 0)
                {
                    return new EngineChoice(svd, $"SVD model folder found at {ModelFolder}");
                }

                var why = missing.Count > 0 ? DescribeMissing(missing) : "the SVD engine is not part of this set-up";
                return new EngineChoice(classic, $"{why}: using the classic motion engine (not AI)");
        }
    }

    public void Dispose()
    {
        (svd as IDisposable)?.Dispose();
        (classic as IDisposable)?.Dispose();
    }

    private string DescribeMissing(IReadOnlyList<string> missing) =>
        Directory.Exists(ModelFolder)
            ? $"the SVD model folder {ModelFolder} is incomplete (missing {string.Join(", ", missing)})"
            : $"no SVD model folder at {ModelFolder}";

    private IMotionEngine RequireSvd()
    {
        var missing = SvdModelFolder.FindMissing(ModelFolder);
        if (missing.Count > 0)
        {
            throw new EngineUnavailableException($"the SVD engine cannot run: {DescribeMissing(missing)}");
        }

        return svd ?? throw new EngineUnavailableException("the SVD engine is not part of this set-up; use --engine classic or auto");
    }
}
