using ImageMagick;
using TurnLivePhotos.Media.Imaging;

namespace TurnLivePhotos.Media.Formats;

/// <summary>Animated WebP: loops forever, millisecond frame timing that keeps the configured rate.</summary>
public static class WebPWriter
{
    public static void Write(IReadOnlyList<RgbImage> frames, double fps, string path) => AtomicFile.WriteAllBytes(path, Encode(frames, fps));

    public static byte[] Encode(IReadOnlyList<RgbImage> frames, double fps)
    {
        ArgumentNullException.ThrowIfNull(frames);
        using var collection = new MagickImageCollection();
        for (var i = 0; i < frames.Count; i++)
        {
            var frame = MagickInterop.ToMagick(frames[i]);
            frame.AnimationTicksPerSecond = 1000;
            frame.AnimationDelay = (uint)(Math.Round((i + 1) * 1000 / fps) - Math.Round(i * 1000 / fps));
            frame.AnimationIterations = 0;
            frame.Quality = 85;
            collection.Add(frame);
        }

        return collection.ToByteArray(MagickFormat.WebP);
    }
}
