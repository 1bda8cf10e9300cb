using ImageMagick;
using TurnLivePhotos.Media.Colour;
using TurnLivePhotos.Media.Imaging;

namespace TurnLivePhotos.Media.Decoding;

/// <summary>A photo that is not one of the accepted formats, or whose bytes cannot be decoded.</summary>
public sealed class UnsupportedPhotoException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A photo whose declared size is beyond the configured limit (a decompression bomb, or simply too big).</summary>
public sealed class PhotoTooLargeException(string message) : Exception(message);

/// <summary>
/// A decoded photo: upright pixels in <paramref name="Space"/> (the working space, docs/decisions/0002-colour.md) with
/// alpha flattened on white.
/// </summary>
public sealed record DecodedPhoto(RgbImage Image, PhotoFormat Format, RgbSpace Space = RgbSpace.Srgb);

public static class PhotoDecoder
{
    public const long DefaultMaxPixels = DecodeBudget.DefaultMaxMegapixels * 1_000_000L;

    public static string SupportedFormatsText => "JPEG, PNG, WebP, BMP, TIFF, GIF, HEIC/HEIF, AVIF";

    /// <summary>Decodes a photo from its bytes; the format is recognised from the bytes alone.</summary>
    /// <exception cref="UnsupportedPhotoException">Not an accepted format, or corrupt.</exception>
    /// <exception cref="PhotoTooLargeException">Beyond the budget; refused from the header, before any pixel is decoded.</exception>
    public static DecodedPhoto Decode(byte[] bytes, DecodeBudget budget)
    {
        var (format, settings) = Inspect(bytes, budget);
        try
        {
            using var image = new MagickImage();
            string? cutShort = null;
            image.Warning += (_, warning) => cutShort ??= CutShort(warning.Message);
            image.Read(bytes, settings);
            if (cutShort is not null)
            {
                throw new UnsupportedPhotoException($"the {Describe(format)} data ends before the image does; the file is cut short or damaged ({Reason(cutShort)})");
            }

            Normalise(image);
            return new DecodedPhoto(MagickInterop.ToRgb(image), format, WorkingSpace.Of(image));
        }
        catch (MagickException ex) when (IsOverLimit(ex))
        {
            throw new PhotoTooLargeException($"the {Describe(format)} image is larger than the decoding limits allow ({Reason(ex.Message)})");
        }
        catch (MagickException ex)
        {
            throw new UnsupportedPhotoException($"the {Describe(format)} data could not be decoded ({Reason(ex.Message)})", ex);
        }
    }

    /// <summary>Like <see cref="Decode(byte[], DecodeBudget)"/> with a pixel limit and the process's side limit (<see cref="ImageMagickLimits.Current"/>).</summary>
    public static DecodedPhoto Decode(byte[] bytes, long maxPixels = DefaultMaxPixels) => Decode(bytes, WithPixels(maxPixels));

    /// <summary>Checks format and declared size from the header without decoding pixels; throws like <see cref="Decode(byte[], DecodeBudget)"/>.</summary>
    public static PhotoFormat Check(byte[] bytes, DecodeBudget budget) => Inspect(bytes, budget).Format;

    /// <summary>Like <see cref="Check(byte[], DecodeBudget)"/> with a pixel limit and the process's side limit.</summary>
    public static PhotoFormat Check(byte[] bytes, long maxPixels = DefaultMaxPixels) => Check(bytes, WithPixels(maxPixels));

    public static string Describe(PhotoFormat format) => format switch
    {
        PhotoFormat.Heif => "HEIC/HEIF",
        _ => format.ToString().ToUpperInvariant(),
    };

    private static DecodeBudget WithPixels(long maxPixels) => ImageMagickLimits.Current with { MaxPixels = maxPixels };

    private static (PhotoFormat Format, MagickReadSettings Settings) Inspect(byte[] bytes, DecodeBudget budget)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(budget);
        ImageMagickLimits.EnsureApplied();
        var format = PhotoFormatSniffer.Detect(bytes.AsSpan(0, Math.Min(bytes.Length, PhotoFormatSniffer.HeaderLength)))
            ?? throw new UnsupportedPhotoException($"not a supported image (accepted: {SupportedFormatsText})");

        // Tell the library which format to use, so it never guesses one of its many others (SVG, MVG, text…) from the content.
        var settings = new MagickReadSettings { Format = ToMagickFormat(format), FrameIndex = 0, FrameCount = 1 };
        CheckDeclaredSize(bytes, settings, format, budget);
        return (format, settings);
    }

    /// <summary>
    /// Reads the size from the header only: MagickImageInfo pings, and for every accepted format the coder then stops
    /// before its pixels (a 10000x10000 or 1x100000000 header is read in milliseconds with no memory growth; HEIF and
    /// AVIF give libheif's primary-item size, from its ispe).
    /// </summary>
    private static void CheckDeclaredSize(byte[] bytes, MagickReadSettings settings, PhotoFormat format, DecodeBudget budget)
    {
        MagickImageInfo info;
        try
        {
            info = new MagickImageInfo(bytes, settings);
        }
        catch (MagickException ex) when (IsOverLimit(ex))
        {
            throw new PhotoTooLargeException($"the {Describe(format)} header declares a size beyond the decoding limits ({Reason(ex.Message)})");
        }
        catch (MagickException ex)
        {
            // libpng refuses an IHDR beyond the width/height limits ImageMagick hands it ("Invalid IHDR data"): say so.
            if (format == PhotoFormat.Png && PngHeaderSize(bytes) is var (width, height))
            {
                budget.Check(width, height);
            }

            throw new UnsupportedPhotoException($"the {Describe(format)} data could not be read ({Reason(ex.Message)})", ex);
        }

        if (info.Width == 0 || info.Height == 0)
        {
            throw new UnsupportedPhotoException($"the {Describe(format)} data declares an empty image");
        }

        budget.Check(info.Width, info.Height);
    }

    /// <summary>ImageMagick's refusals for its resource limits (width, height, area, memory, disk).</summary>
    private static bool IsOverLimit(MagickException exception) =>
        exception is MagickResourceLimitErrorException or MagickResourceLimitWarningException
        || exception.Message.Contains("WidthOrHeightExceedsLimit", StringComparison.Ordinal)
        || exception.Message.Contains("width or height exceeds limit", StringComparison.OrdinalIgnoreCase);

    private static void Normalise(MagickImage image)
    {
        image.AutoOrient();
        image.ResetPage();
        // Pixels stay in the working space: sRGB or Display P3 as they are, any other profile's converted to sRGB.
        if (ProfileColorSpace(image) is { } space && (space != ColorSpace.sRGB || IccProfileSpace.Classify(image.GetProfile("icc")?.ToByteArray()) is null))
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

    /// <summary>
    /// libjpeg's warning that the file ended before the image did (JWRN_JPEG_EOF, "Premature end of JPEG file"): the
    /// decoder fills the rest with grey, so nothing may be made from it. Its other warnings leave the image whole and
    /// real phone files carry them ("premature end of data segment" in a Pixel's motion photo, extraneous bytes
    /// before a marker).
    /// </summary>
    private static string? CutShort(string message) =>
        message.Contains("Premature end of JPEG file", StringComparison.OrdinalIgnoreCase) ? message : null;

    /// <summary>
    /// The colour space of the embedded ICC profile, or null when there is none or Magick.NET cannot read its header
    /// (zeros, a colour space it does not know; it reads the header when asked for the space): such a profile is
    /// dropped and the pixels are taken as sRGB, as browsers show them.
    /// </summary>
    private static ColorSpace? ProfileColorSpace(MagickImage image)
    {
        try
        {
            return image.GetColorProfile()?.ColorSpace;
        }
        catch (Exception ex) when (ex is NotSupportedException or ArgumentException or MagickException)
        {
            image.RemoveProfile("icc");
            return null;
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

    /// <summary>
    /// The width and height of a PNG's IHDR, the chunk the format requires first (PNG spec 11.2.2: signature, length,
    /// "IHDR", width, height as 31-bit big-endian numbers); null when the bytes do not start that way.
    /// </summary>
    private static (long Width, long Height)? PngHeaderSize(byte[] bytes) =>
        bytes.Length >= 24 && bytes.AsSpan(12, 4).SequenceEqual("IHDR"u8)
            ? (System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(16)), System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(20)))
            : null;

    /// <summary>
    /// ImageMagick's reason without the rest of its message ("Reason `file' @ error/coder.c/Function/line"): the
    /// file named there is a temporary path of this machine, which is not for the person who sent the photo.
    /// </summary>
    private static string Reason(string message)
    {
        var line = message.Split('\n', 2)[0];
        foreach (var end in new[] { " `", " @ " })
        {
            if (line.IndexOf(end, StringComparison.Ordinal) is > 0 and var at)
            {
                line = line[..at];
            }
        }

        line = line.Trim();
        return line.Length > 200 ? line[..200] : line;
    }
}
