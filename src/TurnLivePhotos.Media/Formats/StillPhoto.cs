using ImageMagick;
using TurnLivePhotos.Media.Decoding;
using TurnLivePhotos.Media.Jpeg;
using TurnLivePhotos.Media.Xmp;

namespace TurnLivePhotos.Media.Formats;

/// <summary>The still of a live or motion photo, ready for the writers: JPEG bytes and the size of its pixels.</summary>
public sealed record PreparedStill(byte[] Jpeg, int Width, int Height);

/// <summary>
/// The still of a live photo: the person's own photo as a JPEG at full resolution and upright. An upright JPEG is
/// used byte for byte (no re-encode); anything else is re-encoded once with its orientation applied (the
/// Orientation tag reset) and its EXIF, XMP and ICC profile kept. Either way the metadata is made consistent with
/// what is written: Exif first and present (<see cref="ExifWriter.Normalize"/>), no thumbnail of re-encoded pixels,
/// no old Live Photo identifier, and no trace of a gain map or video that the still no longer carries.
/// </summary>
public static class StillPhoto
{
    public const int ReencodeQuality = 95;

    public static PreparedStill Prepare(byte[] original, bool stripMetadata = false)
    {
        var format = PhotoDecoder.Check(original, long.MaxValue);
        if (format == PhotoFormat.Jpeg)
        {
            using var header = new MagickImage();
            header.Ping(original);
            if (header.Orientation is Orientation.Undefined or Orientation.TopLeft)
            {
                var file = JpegFile.Parse(original);
                if (stripMetadata)
                {
                    file.Segments.RemoveAll(segment => segment.IsExif || segment.IsXmp || JpegXmp.IsExtension(segment) || segment.Marker == 0xED);
                }

                return Finish(file, (int)header.Width, (int)header.Height, reencoded: false);
            }
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
        var reencoded = JpegFile.Parse(image.ToByteArray(MagickFormat.Jpeg));
        return Finish(reencoded, (int)image.Width, (int)image.Height, reencoded: true);
    }

    private static PreparedStill Finish(JpegFile file, int width, int height, bool reencoded)
    {
        ExifWriter.Normalize(file, width, height, dropThumbnail: reencoded);
        DropGainMap(file);
        return new PreparedStill(file.ToArray(), width, height);
    }

    /// <summary>
    /// An Ultra HDR photo's gain map sits after the primary's end (a byte-for-byte JPEG still ends at its EOI) or is
    /// lost in a re-encode, so its MPF index (which would point past the end of the file), the hdrgm fields and
    /// the Container directory naming it go too — all together, never some of them.
    /// </summary>
    private static void DropGainMap(JpegFile file)
    {
        file.Segments.RemoveAll(segment => segment.Marker == 0xE2 && segment.Payload.AsSpan().StartsWith("MPF\0"u8));
        if (JpegXmp.Read(file) is not { } xmp)
        {
            return;
        }

        var gainMapFields = XmpPacket.TopLevelProperties(xmp).Where(p => p.Namespace == XmpNamespaces.HdrGainMap).ToList();
        var directory = xmp.DoesPropertyExist(XmpNamespaces.Container, "Directory");
        if (gainMapFields.Count == 0 && !directory)
        {
            return;
        }

        foreach (var (ns, path) in gainMapFields)
        {
            xmp.DeleteProperty(ns, path);
        }

        xmp.DeleteProperty(XmpNamespaces.Container, "Directory");
        JpegXmp.Write(file, xmp, MotionPhotoXmp.KeepInStandardPacket);
    }
}
