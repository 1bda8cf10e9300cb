using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Engine.Rife;
using TurnLivePhotos.Engine.Svd;
using TurnLivePhotos.Engine.Weights;
using TurnLivePhotos.Media.Formats;

namespace TurnLivePhotos.Core.Conversion;

/// <summary>
/// Whether and how a clip is brought to 30 fps between the engine and the writer ([ModelOptions] Interpolation,
/// RifeModelPath). Only a generative clip made below 30 fps is (the SVD engine's 14–25 frames at 6–8 fps); the
/// cinematic and classic engines render at the rate asked for. The RIFE network is opened once, on first use.
/// </summary>
/// <param name="workFolder">Where a <c>flownet.pkl</c> is converted to safetensors once per process.</param>
/// <param name="releasedWidthsOnly">Refuse all but the released network widths (tests pass false for their tiny weights).</param>
/// <param name="device">[ModelOptions] Device, as the SVD engine takes it: a GPU that cannot be used falls back to the CPU with a warning.</param>
public sealed class FrameInterpolation(InterpolationMode mode, string modelPath, string workFolder, bool releasedWidthsOnly = true, ExecutionDevice device = ExecutionDevice.Cpu, ILogger? logger = null) : IDisposable
{
    private readonly Lock gate = new();
    private RifeInterpolator? rife;

    public static FrameInterpolation Off => new(InterpolationMode.Off, string.Empty, string.Empty);

    public InterpolationMode Mode => mode;

    public string ModelPath => modelPath;

    public bool ModelPresent => File.Exists(modelPath);

    /// <summary>What a run without the model is told under auto: where the file goes, and the command that fetches it.</summary>
    public string MissingNote =>
        $"no RIFE model at {modelPath}, so the AI clip plays each frame once at its own rate; for 30 fps run " +
        $"`{Models.ModelDownloads.CommandFor(Models.DownloadableModel.Rife)}` (or place Practical-RIFE's v4.25 or v4.26 flownet.pkl there)";

    /// <summary>Refuses an AI conversion before its engine runs when RIFE is demanded and its model is missing.</summary>
    /// <exception cref="EngineUnavailableException">Interpolation = rife and no file at the model path.</exception>
    public void ThrowIfDemandedAndMissing()
    {
        if (mode == InterpolationMode.Rife && !ModelPresent)
        {
            throw new EngineUnavailableException(
                $"[ModelOptions] Interpolation = rife, but there is no RIFE model at {modelPath}: run " +
                $"`{Models.ModelDownloads.CommandFor(Models.DownloadableModel.Rife)}` (or place Practical-RIFE's v4.25 or v4.26 flownet.pkl there), or use --interpolate auto or off");
        }
    }

    /// <summary>The interpolator to hand the writer for <paramref name="clip"/> (null: frames play as made), and a note when auto found no model.</summary>
    /// <exception cref="EngineUnavailableException">RIFE is demanded and missing, or the file is not a RIFE model we can run.</exception>
    public (IClipInterpolator? Interpolator, string? Note) For(MotionClip clip, IProgress<MotionProgress>? progress)
    {
        ArgumentNullException.ThrowIfNull(clip);
        if (mode == InterpolationMode.Off || !clip.IsGenerative || clip.Fps >= ClipInterpolation.TargetFps)
        {
            return (null, null);
        }

        ThrowIfDemandedAndMissing();
        return ModelPresent ? (new RifeClips(Open(), progress), null) : (null, MissingNote);
    }

    public void Dispose()
    {
        lock (gate)
        {
            rife?.Dispose();
            rife = null;
        }
    }

    private RifeInterpolator Open()
    {
        lock (gate)
        {
            try
            {
                return rife ??= RifeInterpolator.Open(modelPath, workFolder, releasedWidthsOnly, ExecutionProviders.Choose(device, logger ?? NullLogger.Instance));
            }
            catch (Exception ex) when (ex is WeightFileException or IOException or InvalidDataException or UnauthorizedAccessException)
            {
                throw new EngineUnavailableException($"the RIFE model {modelPath} cannot be used: {ex.Message}");
            }
        }
    }

    /// <summary>
    /// One conversion's interpolations (the phone video's and the MP4's may run at once): one "interpolate k/n" stage
    /// whose n grows as each starts.
    /// </summary>
    private sealed class RifeClips(RifeInterpolator rife, IProgress<MotionProgress>? progress) : IClipInterpolator
    {
        private readonly IProgress<MotionProgress>? progress = progress;
        private readonly Lock gate = new();
        private int made;
        private int total;

        public InterpolatedClip Interpolate(LoopedClip clip, double playbackFps, bool seam, CancellationToken cancellationToken)
        {
            var factor = InterpolationPlan.Factor(playbackFps, ClipInterpolation.TargetFps);
            if (factor == 1)
            {
                return new InterpolatedClip(clip, 1);
            }

            lock (gate)
            {
                total += RifeClipInterpolator.NewFrames(clip, factor, seam);
            }

            var counted = progress is null ? null : new Counted(this);
            return new InterpolatedClip(RifeClipInterpolator.Interpolate(rife, clip, factor, seam, counted, cancellationToken), factor);
        }

        /// <summary>Counts each made frame towards the conversion's total (synchronously, unlike <see cref="Progress{T}"/>).</summary>
        private sealed class Counted(RifeClips owner) : IProgress<MotionProgress>
        {
            public void Report(MotionProgress value)
            {
                lock (owner.gate)
                {
                    owner.made++;
                    owner.progress!.Report(new MotionProgress(value.Stage, owner.made, owner.total));
                }
            }
        }
    }
}
