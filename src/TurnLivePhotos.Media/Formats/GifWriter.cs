using ImageMagick;
using TurnLivePhotos.Media.Imaging;

namespace TurnLivePhotos.Media.Formats;

/// <summary>Animated GIF: loops forever, one shared dithered 256-colour palette, frame timing that keeps the configured rate.</summary>
public static class GifWriter
{
    public const int TicksPerSecond = 100;

    /// <summary>
    /// GIF delays are whole hundredths of a second, so 7 fps cannot be 14.2857 cs a frame. Each frame gets the
    /// difference between rounded frame start times, so the delays alternate (14, 14, 15, …) and the clip
    /// lasts exactly frames / fps seconds, rounded once.
    /// </summary>
    public static int[] FrameDelays(int frameCount, double fps)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(frameCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fps);
        var delays = new int[frameCount];
        for (var i = 0; i < frameCount; i++)
        {
            var start = (int)Math.Round(i * TicksPerSecond / fps, MidpointRounding.AwayFromZero);
            var end = (int)Math.Round((i + 1) * TicksPerSecond / fps, MidpointRounding.AwayFromZero);
            delays[i] = Math.Max(1, end - start);
        }

        return delays;
    }

    public static void Write(IReadOnlyList<RgbImage> frames, double fps, string path)
    {
        var bytes = Encode(frames, fps);
        AtomicFile.WriteAllBytes(path, bytes);
    }

    public static byte[] Encode(IReadOnlyList<RgbImage> frames, double fps)
    {
        ArgumentNullException.ThrowIfNull(frames);
        if (frames.Count == 0)
        {
            throw new ArgumentException("a GIF needs at least one frame", nameof(frames));
        }

        var delays = FrameDelays(frames.Count, fps);
        using var palette = MagickInterop.ToMagick(frames[0]);
        palette.Quantize(new QuantizeSettings { Colors = 256, DitherMethod = DitherMethod.No });

        // One palette for the whole clip (from the first frame: every frame shows the same photo), so colours do not
        // flicker between frames; each frame is mapped onto it with error diffusion, in parallel.
        var mapped = new MagickImage[frames.Count];
        Parallel.For(0, frames.Count, i =>
        {
            var frame = MagickInterop.ToMagick(frames[i]);
            frame.Remap(palette, new QuantizeSettings { DitherMethod = DitherMethod.FloydSteinberg });
            frame.AnimationDelay = (uint)delays[i];
            frame.AnimationTicksPerSecond = TicksPerSecond;
            frame.AnimationIterations = 0;
            frame.GifDisposeMethod = GifDisposeMethod.None;
            mapped[i] = frame;
        });

        using var collection = new MagickImageCollection(mapped);
        return collection.ToByteArray(MagickFormat.Gif);
    }
}
