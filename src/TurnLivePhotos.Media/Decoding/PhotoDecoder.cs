using ImageMagick;
using TurnLivePhotos.Media.Imaging;

namespace TurnLivePhotos.Media.Decoding;

/// <summary>A photo that is not one of the accepted formats, or whose bytes cannot be decoded.</summary>
public sealed class UnsupportedPhotoException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A photo whose declared size is beyond the configured limit (a decompression bomb, or simply too big).</summary>
public sealed class PhotoTooLargeException(string message) : Exception(message);

/// <summary>A decoded photo: upright sRGB pixels with alpha flattened on white.</summary>
public sealed record DecodedPhoto(RgbImage Image, PhotoFormat Format);

public static class PhotoDecoder
{
    public const long DefaultMaxPixels = 100_000_000;

    public static string SupportedFormatsText => "JPEG, PNG, WebP, BMP, TIFF, GIF, HEIC/HEIF, AVIF";

    /// <summary>Decodes a photo from its bytes; the format is recognised from the bytes alone.</summary>
    /// <exception cref="UnsupportedPhotoException">Not an accepted format, or corrupt.</exception>
    /// <exception cref="PhotoTooLargeException">More pixels than <paramref name="maxPixels"/>; refused before decoding.</exception>
    public static DecodedPhoto Decode(byte[] bytes, long maxPixels = DefaultMaxPixels)
    {
        var (format, settings) = Inspect(bytes, maxPixels);
        try
        {
            using var image = new MagickImage(bytes, settings);
            Normalise(image);
            return new DecodedPhoto(MagickInterop.ToRgb(image), format);
        }
        catch (MagickException ex)
        {
            throw new UnsupportedPhotoException($"the {Describe(format)} data could not be decoded ({FirstLine(ex.Message)})", ex);
        }
    }

    /// <summary>Checks format and declared size from the header without decoding pixels; throws like <see cref="Decode"/>.</summary>
    public static PhotoFormat Check(byte[] bytes, long maxPixels = DefaultMaxPixels) => Inspect(bytes, maxPixels).Format;

    public static string Describe(PhotoFormat format) => format switch
    {
        PhotoFormat.Heif => "HEIC/HEIF",
        _ => format.ToString().ToUpperInvariant(),
    };

    private static (PhotoFormat Format, MagickReadSettings Settings) Inspect(byte[] bytes, long maxPixels)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var format = PhotoFormatSniffer.Detect(bytes.AsSpan(0, Math.Min(bytes.Length, PhotoFormatSniffer.HeaderLength)))
            ?? throw new UnsupportedPhotoException($"not a supported image (accepted: {SupportedFormatsText})");

        // Tell the library which format to use, so it never guesses one of its many others (SVG, MVG, text…) from the content.
        var settings = new MagickReadSettings { Format = ToMagickFormat(format), FrameIndex = 0, FrameCount = 1 };
        CheckDeclaredSize(bytes, settings, format, maxPixels);
        return (format, settings);
    }

    private static void CheckDeclaredSize(byte[] bytes, MagickReadSettings settings, PhotoFormat format, long maxPixels)
    {
        MagickImageInfo info;
        try
        {
            info = new MagickImageInfo(bytes, settings);
        }
        catch (MagickException ex)
        {
            throw new UnsupportedPhotoException($"the {Describe(format)} data could not be read ({FirstLine(ex.Message)})", ex);
        }

        var pixels = (long)info.Width * info.Height;
        if (info.Width == 0 || info.Height == 0)
        {
            throw new UnsupportedPhotoException($"the {Describe(format)} data declares an empty image");
        }

        if (pixels > maxPixels)
        {
            throw new PhotoTooLargeException(
                $"the image is {info.Width}x{info.Height} ({pixels / 1e6:0.#} megapixels), above the limit of {maxPixels / 1e6:0.#} megapixels");
        }
    }

    private static void Normalise(MagickImage image)
    {
        image.AutoOrient();
        image.ResetPage();
        if (image.GetColorProfile() is { } profile && profile.ColorSpace != ColorSpace.sRGB)
        {
            image.TransformColorSpace(ColorProfiles.SRGB);
        }
        else if (image.ColorSpace != ColorSpace.sRGB)
        {
            image.ColorSpace = ColorSpace.sRGB;
        }

        if (image.HasAlpha)
        {
            image.BackgroundColor = MagickColors.White;
            image.Alpha(AlphaAction.Remove);
            image.Alpha(AlphaAction.Off);
        }
    }

    private static MagickFormat ToMagickFormat(PhotoFormat format) => format switch
    {
        PhotoFormat.Jpeg => MagickFormat.Jpeg,
        PhotoFormat.Png => MagickFormat.Png,
        PhotoFormat.WebP => MagickFormat.WebP,
        PhotoFormat.Bmp => MagickFormat.Bmp,
        PhotoFormat.Tiff => MagickFormat.Tiff,
        PhotoFormat.Gif => MagickFormat.Gif,
        PhotoFormat.Heif => MagickFormat.Heic,
        PhotoFormat.Avif => MagickFormat.Avif,
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    private static string FirstLine(string message)
    {
        var line = message.Split('\n', 2)[0].Trim();
        return line.Length > 200 ? line[..200] : line;
    }
}
