using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using TurnLivePhotos.Engine.Depth;
using TurnLivePhotos.Engine.Weights;
using TurnLivePhotos.Media.Imaging;

namespace TurnLivePhotos.Engine.Cinematic;

/// <summary>Where the depth model is ([ModelOptions] DepthModelName under ModelsHome).</summary>
public sealed record CinematicEngineOptions(string DepthModelFolder);

/// <summary>
/// The cinematic engine: Depth Anything estimates the photo's depth, then a virtual camera moves a little through
/// it (dolly, orbit or rise) and every frame is rendered with correct occlusion (<see cref="ViewSynthesizer"/>).
/// AI-made depth, geometric motion: seconds on a CPU, and the first frame is the photo itself.
/// </summary>
public sealed class CinematicMotionEngine(CinematicEngineOptions options, ILogger<CinematicMotionEngine> logger) : IMotionEngine, IDisposable
{
    public const string EngineName = "cinematic";

    /// <summary>Longest side of the frames, the size of an iPhone Live Photo movie; smaller photos keep their size.</summary>
    public const int MaxLongSide = 1440;

    /// <summary>
    /// The photo fitted inside the model's 518 × 518 (518×392 for a 4:3 photo) rather than transformers' short side
    /// at 518 (686×518). The network's cost grows with its tokens, and attention's with their square: 1036 tokens
    /// instead of 1813 halve its CPU time (docs/benchmarks.md, <c>bench cinematic</c>), the largest
    /// single saving toward a clip in seconds. What it costs is depth detail finer than 1/518 of the frame, which a
    /// subtle camera move does not show: the depth is upsampled to the frame with its edges snapped to clean steps
    /// (<see cref="DisparityField"/>) either way. Rejected: a fixed 518 × 518 square (distorts the photo for the
    /// network), fewer layers or int8 weights (other numbers than the model's own).
    /// </summary>
    public const DepthInputFit DepthFit = DepthInputFit.Inside;

    private readonly Lock gate = new();
    private DepthEstimator? estimator;

    public string Name => EngineName;

    /// <summary>The motion is geometric (a camera through estimated depth), not generated.</summary>
    public bool IsGenerative => false;

    public CinematicEngineOptions Options => options;

    public static (int Width, int Height) FrameSize(int photoWidth, int photoHeight)
    {
        var scale = Math.Min(1.0, (double)MaxLongSide / Math.Max(photoWidth, photoHeight));
        return (Math.Max(2, (int)Math.Round(photoWidth * scale / 2) * 2), Math.Max(2, (int)Math.Round(photoHeight * scale / 2) * 2));
    }

    public Task<MotionClip> GenerateAsync(MotionRequest request, IProgress<MotionProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Task.Run(() => Generate(request, progress, cancellationToken), cancellationToken);
    }

    /// <summary>The photo at frame size and its depth (the first stage of a clip; also what the benchmark times).</summary>
    public (RgbImage Photo, DepthMap Depth) EstimateDepth(RgbImage photo, IProgress<MotionProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(photo);
        var (width, height) = FrameSize(photo.Width, photo.Height);
        var framed = photo.Width == width && photo.Height == height ? photo : PillowBicubic.Resize(photo, width, height);
        progress?.Report(new MotionProgress("depth", 0, 1));
        DepthMap depth;
        lock (gate)
        {
            try
            {
                estimator ??= DepthEstimator.Open(options.DepthModelFolder);

                // The depth model sees the frame-size photo: the same picture as the full photo at 518 px, for less resizing.
                depth = estimator.Estimate(framed, DepthFit);
            }
            catch (WeightFileException ex)
            {
                throw new EngineException(ex.Message, ex);
            }
            catch (OnnxRuntimeException ex)
            {
                throw new EngineException($"ONNX Runtime failed: {ex.Message.Split('\n')[0]}", ex);
            }
        }

        progress?.Report(new MotionProgress("depth", 1, 1));
        return (framed, depth);
    }

    public void Dispose()
    {
        lock (gate)
        {
            estimator?.Dispose();
            estimator = null;
        }
    }

    private MotionClip Generate(MotionRequest request, IProgress<MotionProgress>? progress, CancellationToken cancellationToken)
    {
        var (photo, depth) = EstimateDepth(request.Photo, progress);
        cancellationToken.ThrowIfCancellationRequested();
        // The frames are handed over while they are being made: the writer encodes each as it arrives.
        var (frames, move, reason) = CinematicClip.Start(photo, depth, request.Clip, request.Camera, progress, cancellationToken);
        logger.LogInformation("Cinematic: {Width}x{Height}, depth {DepthWidth}x{DepthHeight}, {Move} ({Reason})", photo.Width, photo.Height, depth.Width, depth.Height, move, reason);
        return new MotionClip(frames, request.Clip.Fps, EngineName, IsGenerative: false) { Completion = frames.Completion };
    }
}
