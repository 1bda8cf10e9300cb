using ImageMagick;
using TurnLivePhotos.Media.Decoding;
using TurnLivePhotos.Media.Jpeg;

namespace TurnLivePhotos.Media.Formats;

/// <summary>
/// The still of a live photo: the person's own photo as a JPEG at full resolution and upright. An upright JPEG is
/// used byte for byte (no re-encode); anything else is re-encoded once with its orientation applied (the
/// Orientation tag reset) and its EXIF, XMP and ICC profile kept.
/// </summary>
public static class StillPhoto
{
    public const int ReencodeQuality = 95;

    public static byte[] Prepare(byte[] original, bool stripMetadata = false)
    {
        var format = PhotoDecoder.Check(original, long.MaxValue);
        if (format == PhotoFormat.Jpeg && IsUpright(original))
        {
            return stripMetadata ? StripJpegMetadata(original) : original;
        }

        using var image = new MagickImage(original, new MagickReadSettings { FrameIndex = 0, FrameCount = 1 });
        image.AutoOrient();
        image.ResetPage();
        if (image.HasAlpha)
        {
            image.BackgroundColor = MagickColors.White;
            image.Alpha(AlphaAction.Remove);
            image.Alpha(AlphaAction.Off);
        }

        if (image.ColorSpace is ColorSpace.CMYK or ColorSpace.Gray && image.GetColorProfile() is null)
        {
            image.ColorSpace = ColorSpace.sRGB;
        }

        if (stripMetadata)
        {
            foreach (var profile in new[] { "exif", "xmp", "iptc", "8bim" })
            {
                image.RemoveProfile(profile);
            }
        }

        image.Quality = ReencodeQuality;
        image.Depth = 8;
        return image.ToByteArray(MagickFormat.Jpeg);
    }

    private static bool IsUpright(byte[] jpeg)
    {
        using var image = new MagickImage();
        image.Ping(jpeg);
        return image.Orientation is Orientation.Undefined or Orientation.TopLeft;
    }

    /// <summary>Drops Exif, XMP and IPTC segments (date, camera, GPS…) and keeps the ICC profile; pixels untouched.</summary>
    private static byte[] StripJpegMetadata(byte[] jpeg)
    {
        var file = JpegFile.Parse(jpeg);
        file.Segments.RemoveAll(segment => segment.IsExif || segment.IsXmp || segment.Marker == 0xED);
        return file.ToArray();
    }
}
