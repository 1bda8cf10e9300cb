using ImageMagick;
using TurnLivePhotos.Media.Decoding;
using TurnLivePhotos.Media.Jpeg;

namespace TurnLivePhotos.Media.Formats;

/// <summary>The still of a live or motion photo, ready for the writers: JPEG bytes and the size of its pixels.</summary>
/// <param name="Jpeg">The primary image, SOI through EOI.</param>
/// <param name="GainMap">
/// An Ultra HDR photo's gain-map JPEG, byte for byte, when the primary was kept as it was. The primary then still
/// has its hdrgm XMP and its MPF index; the writer that appends the gain map sets the directory and lets
/// <see cref="UltraHdrGainMap.Join"/> rewrite the index for where the gain map lands.
/// </param>
public sealed record PreparedStill(byte[] Jpeg, int Width, int Height, byte[]? GainMap = null)
{
    /// <summary>Metadata of the person's photo left out of the still: unreadable or over a parsing limit.</summary>
    public IReadOnlyList<MetadataNote> Notes { get; init; } = [];
}

/// <summary>
/// The still of a live photo: the person's own photo as a JPEG at full resolution and upright. An upright JPEG is
/// used byte for byte (no re-encode); anything else is re-encoded once with its orientation applied (the
/// Orientation tag reset) and its EXIF, XMP and ICC profile kept. Either way the metadata is made consistent with
/// what is written: Exif first and present (<see cref="ExifWriter.Normalize"/>), no thumbnail of re-encoded pixels,
/// no old Live Photo identifier, and no trace of a video that the still no longer carries. An Ultra HDR JPEG's gain
/// map is kept with a byte-for-byte primary; a re-encode (rotation, another format) loses it together with its MPF
/// index, ISO 21496-1 segment, hdrgm fields and directory — a gain map no longer matches re-encoded, rotated pixels —
/// and so does --strip-metadata, which removes the XMP that describes it. Metadata that is unreadable or over a
/// parsing limit (XMP, Extended XMP, Exif IFDs, the MPF index, ICC chunks) is left out before anything else reads it, and
/// each such part is named in <see cref="PreparedStill.Notes"/>.
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
                var notes = new List<MetadataNote>();
                if (stripMetadata)
                {
                    file.Segments.RemoveAll(segment => segment.IsExif || segment.IsXmp || JpegXmp.IsExtension(segment) || segment.Marker == 0xED);
                }
                else
                {
                    notes.AddRange(JpegXmp.DropUnreadable(file));
                    notes.AddRange(IccProfileSegments.DropInconsistent(file));
                }

                var gainMap = stripMetadata ? null : UltraHdrGainMap.Find(original, file, notes);
                return Finish(file, (int)header.Width, (int)header.Height, reencoded: false, gainMap, notes);
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
        return Finish(reencoded, (int)image.Width, (int)image.Height, reencoded: true, gainMap: null, [.. JpegXmp.DropUnreadable(reencoded)]);
    }

    private static PreparedStill Finish(JpegFile file, int width, int height, bool reencoded, byte[]? gainMap, List<MetadataNote> notes)
    {
        ExifWriter.Normalize(file, width, height, dropThumbnail: reencoded, notes);
        if (gainMap is null)
        {
            UltraHdrGainMap.Drop(file);
        }

        return new PreparedStill(file.ToArray(), width, height, gainMap) { Notes = notes };
    }
}
