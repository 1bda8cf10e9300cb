using ImageMagick;

namespace TurnLivePhotos.Tests.Support;

/// <summary>What a GIF decodes back to: frame count, per-frame delays (1/100 s), loop count, size.</summary>
public sealed record GifInfo(int Frames, int[] Delays, uint Iterations, uint Width, uint Height)
{
    public static GifInfo Read(byte[] gif)
    {
        Assert.True(gif.AsSpan().StartsWith("GIF89a"u8), "not a GIF89a file");
        using var frames = new MagickImageCollection(gif, new MagickReadSettings { Format = MagickFormat.Gif });
        return new GifInfo(
            frames.Count,
            frames.Select(frame => (int)frame.AnimationDelay).ToArray(),
            frames[0].AnimationIterations,
            frames[0].Page.Width == 0 ? frames[0].Width : frames[0].Page.Width,
            frames[0].Page.Height == 0 ? frames[0].Height : frames[0].Page.Height);
    }
}
