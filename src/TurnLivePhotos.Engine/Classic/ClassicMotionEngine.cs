using ImageMagick;
using TurnLivePhotos.Media.Imaging;

namespace TurnLivePhotos.Engine.Classic;

/// <summary>
/// The built-in, non-AI engine: a slow push-in with a gentle drift that returns to where it started, so the
/// clip loops without a seam. Needs no model. Deterministic for the same photo and parameters.
/// </summary>
public sealed class ClassicMotionEngine : IMotionEngine
{
    public const string EngineName = "classic";

    /// <summary>Zoom reached at the peak of the loop for motion bucket 255; the default bucket (127) gives about half.</summary>
    public const double MaxZoom = 0.08;

    /// <summary>Longest side of the frames; smaller photos keep their own size.</summary>
    public const int MaxLongSide = 1024;

    /// <summary>Share of the zoomed-in margin the drift may use; below 1 so no frame ever shows past the photo's edge.</summary>
    private const double DriftShareOfMargin = 0.8;

    public string Name => EngineName;

    public bool IsGenerative => false;

    public Task<MotionClip> GenerateAsync(MotionRequest request, IProgress<MotionProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Task.Run(() => Generate(request, progress, cancellationToken), cancellationToken);
    }

    /// <summary>Where the camera is at loop phase <paramref name="phase"/> ∈ [0, 1): zoom ≥ 1 and the centre's shift as a fraction of the free margin.</summary>
    public static (double Zoom, double ShiftX, double ShiftY) CameraAt(double phase, int motionBucketId, long seed)
    {
        var amplitude = MaxZoom * Math.Clamp(motionBucketId, 0, ClipOptions.MaxMotionBucketId) / ClipOptions.MaxMotionBucketId;
        var angle = Math.PI / 6 + (2 * Math.PI * Fraction(seed * 0.6180339887498949));
        var turn = 2 * Math.PI * phase;

        // Raised cosine: starts and ends at rest (zero speed), peaks mid-loop; so the last frame flows into the first.
        var zoom = 1 + (amplitude * (1 - Math.Cos(turn)) / 2);
        var drift = DriftShareOfMargin * Math.Sin(turn);
        return (zoom, drift * Math.Cos(angle), drift * Math.Sin(angle));
    }

    public static (int Width, int Height) FrameSize(int photoWidth, int photoHeight)
    {
        var scale = Math.Min(1.0, (double)MaxLongSide / Math.Max(photoWidth, photoHeight));
        return (EvenAtLeastTwo(photoWidth * scale), EvenAtLeastTwo(photoHeight * scale));
    }

    private static MotionClip Generate(MotionRequest request, IProgress<MotionProgress>? progress, CancellationToken cancellationToken)
    {
        var clip = request.Clip;
        var (width, height) = FrameSize(request.Photo.Width, request.Photo.Height);
        using var source = PrepareSource(request.Photo, width, height);
        var frames = new RgbImage[clip.Frames];
        var done = 0;
        var progressLock = new Lock();

        // Frames are independent, so they render in parallel; each works on its own copy of the source.
        Parallel.For(0, frames.Length, new ParallelOptions { CancellationToken = cancellationToken }, i =>
        {
            var camera = CameraAt((double)i / frames.Length, clip.MotionBucketId, clip.Seed ?? 0);
            frames[i] = RenderFrame(source, width, height, camera);
            lock (progressLock)
            {
                progress?.Report(new MotionProgress("animate", ++done, frames.Length));
            }
        });

        return new MotionClip(frames, clip.Fps, EngineName, IsGenerative: false);
    }

    // Keep a little more detail than the frames need, so the push-in magnifies real pixels instead of upsampled ones.
    private static MagickImage PrepareSource(RgbImage photo, int frameWidth, int frameHeight)
    {
        var image = MagickInterop.ToMagick(photo);
        var wanted = Math.Max(frameWidth, frameHeight) * (1 + MaxZoom);
        var longSide = Math.Max(photo.Width, photo.Height);
        if (longSide > wanted)
        {
            var scale = wanted / longSide;
            image.FilterType = FilterType.Lanczos;
            image.Resize(new MagickGeometry((uint)Math.Round(photo.Width * scale), (uint)Math.Round(photo.Height * scale)) { IgnoreAspectRatio = true });
        }

        image.VirtualPixelMethod = VirtualPixelMethod.Edge;

        // The camera never shrinks the source by more than the 8 % margin, so a bicubic (Catmull-Rom) lookup per pixel
        // is as sharp as the default area-averaging filter and several times faster.
        image.FilterType = FilterType.Point;
        image.Interpolate = PixelInterpolateMethod.Catrom;
        return image;
    }

    private static RgbImage RenderFrame(MagickImage source, int width, int height, (double Zoom, double ShiftX, double ShiftY) camera)
    {
        MagickImage frame;
        lock (source)
        {
            frame = (MagickImage)source.Clone();
        }

        using var _ = frame;
        var scale = camera.Zoom * width / source.Width;

        // Visible source window is (source / zoom) wide; its centre may move by at most half of what is left over.
        var marginX = (source.Width - (source.Width / camera.Zoom)) / 2;
        var marginY = (source.Height - (source.Height / camera.Zoom)) / 2;
        var centreX = (source.Width / 2.0) + (camera.ShiftX * marginX);
        var centreY = (source.Height / 2.0) + (camera.ShiftY * marginY);

        var settings = new DistortSettings(DistortMethod.ScaleRotateTranslate)
        {
            Viewport = new MagickGeometry(0, 0, (uint)width, (uint)height),
        };
        frame.Distort(settings, [centreX, centreY, scale, scale, 0, width / 2.0, height / 2.0]);
        frame.ResetPage();
        return MagickInterop.ToRgb(frame);
    }

    private static int EvenAtLeastTwo(double value) => Math.Max(2, (int)Math.Round(value / 2) * 2);

    private static double Fraction(double value) => value - Math.Floor(value);
}
