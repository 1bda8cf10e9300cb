using ImageMagick;

namespace TurnLivePhotos.Media.Colour;

/// <summary>
/// The working space of a photo's frames (docs/decisions/0002-colour.md): Display P3 when its ICC profile is Display
/// P3, otherwise sRGB — a photo without a profile is sRGB, and any other profile is converted to sRGB at decode. The
/// decoder and the output writer both ask here, so they agree.
/// </summary>
public static class WorkingSpace
{
    /// <summary>The working space of a decoded (or pinged) image, from its ICC profile.</summary>
    public static RgbSpace Of(IMagickImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return IccProfileSpace.Classify(image.GetProfile("icc")?.ToByteArray()) ?? RgbSpace.Srgb;
    }

    /// <summary>The working space of a photo from its header (no pixels decoded).</summary>
    public static RgbSpace Of(byte[] photo)
    {
        using var image = new MagickImage();
        image.Ping(photo);
        return Of(image);
    }
}
