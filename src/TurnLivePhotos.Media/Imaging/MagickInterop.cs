using ImageMagick;

namespace TurnLivePhotos.Media.Imaging;

/// <summary>Moves pixels between <see cref="RgbImage"/> and Magick.NET, the image library behind decoding and encoding.</summary>
public static class MagickInterop
{
    public static MagickImage ToMagick(RgbImage image)
    {
        var settings = new PixelReadSettings((uint)image.Width, (uint)image.Height, StorageType.Char, PixelMapping.RGB);
        var magick = new MagickImage(image.Pixels, settings);
        magick.ColorSpace = ColorSpace.sRGB;
        return magick;
    }

    public static RgbImage ToRgb(IMagickImage<byte> image)
    {
        using var pixels = image.GetPixelsUnsafe();
        var bytes = pixels.ToByteArray(PixelMapping.RGB)
            ?? throw new InvalidOperationException("the image library returned no pixels");
        return new RgbImage((int)image.Width, (int)image.Height, bytes);
    }
}
