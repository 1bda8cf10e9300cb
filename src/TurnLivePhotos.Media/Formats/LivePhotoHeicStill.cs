using TurnLivePhotos.Media.Heif;
using TurnLivePhotos.Media.Jpeg;
using TurnLivePhotos.Media.Xmp;

namespace TurnLivePhotos.Media.Formats;

/// <summary>A HEIC Live Photo still and what the movie needs from it.</summary>
/// <param name="Heic">The still's bytes.</param>
/// <param name="ContentIdentifier">The identifier in its Apple MakerNote, for the movie.</param>
/// <param name="Captured">The photo's capture time from its Exif, or null.</param>
public sealed record HeicStill(byte[] Heic, string ContentIdentifier, CaptureTime? Captured)
{
    /// <summary>Metadata of the photo left out (unreadable or over a parsing limit).</summary>
    public IReadOnlyList<MetadataNote> Notes { get; init; } = [];
}

/// <summary>
/// The Live Photo still of a HEIC photo is the photo itself, as an iPhone's is: every coded item (the primary's
/// grid and tiles, the thumbnail, an HDR gain map, depth and matte auxiliary images), every property and every
/// reference stay byte for byte — no re-encode — and only the Exif item changes: its Apple MakerNote gets our
/// ContentIdentifier and loses LivePhotoVideoIndex (<see cref="AppleMakerNote"/>), the rest of the Exif kept. A
/// photo without an Exif item gets one holding only that MakerNote, attached to the primary image. The one other
/// change: XMP announcing a motion photo's video (which is not carried over) loses those fields.
/// </summary>
public static class LivePhotoHeicStill
{
    /// <exception cref="HeifFormatException">The file is not a HEIF we can edit (the message says why).</exception>
    public static HeicStill Make(byte[] heic, string contentIdentifier)
    {
        var file = HeifFile.Parse(heic);
        var notes = new List<MetadataNote>();
        var exifItem = HeifExif.ItemOf(file);
        byte[] prefix = [0, 0, 0, 0];
        ExifTiff? tiff = null;
        if (exifItem is { } id)
        {
            var (itemPrefix, tiffBytes) = HeifExif.Split(file.ItemBytes(id));
            prefix = itemPrefix;
            try
            {
                tiff = ExifTiff.Parse(tiffBytes, notes);
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException or IndexOutOfRangeException)
            {
                notes.Add(new MetadataNote(MetadataPart.Exif, $"unreadable ({ex.Message}), replaced by one with only the Apple MakerNote"));
            }
        }

        tiff ??= new ExifTiff(bigEndian: true);
        ExifWriter.SetContentIdentifier(tiff, contentIdentifier, notes);
        var captured = ExifWriter.CaptureTime(tiff);
        var payload = Bytes.Concat(prefix, tiff.Write());
        var replacements = WithoutMotionPhotoXmp(file);
        NewItem? added = null;
        if (exifItem is { } item)
        {
            replacements[item] = payload;
        }
        else
        {
            added = new NewItem("Exif", payload, file.PrimaryItemId);
        }

        return new HeicStill(HeifRewriter.Rewrite(file, replacements, added), contentIdentifier, captured) { Notes = notes };
    }

    /// <summary>
    /// The XMP items (mime application/rdf+xml, not content-encoded) that announce a motion photo's video — a
    /// Samsung HEIC motion photo's, whose mpvd box is not carried over — rewritten without those fields, as the
    /// JPEG still's XMP is (<see cref="MotionPhotoXmp.RemoveMotion"/>); every other XMP item stays as it is.
    /// </summary>
    private static Dictionary<uint, byte[]> WithoutMotionPhotoXmp(HeifFile file)
    {
        var replacements = new Dictionary<uint, byte[]>();
        foreach (var info in file.Items.Where(i => i is { Type: "mime", ContentType: "application/rdf+xml", ContentEncoding: null or "" }))
        {
            if (!file.Locations.Any(location => location.ItemId == info.ItemId) || XmpPacket.TryParse(file.ItemBytes(info.ItemId)) is not { } xmp)
            {
                continue;
            }

            var before = XmpPacket.TopLevelProperties(xmp).Count;
            MotionPhotoXmp.RemoveMotion(xmp);
            if (XmpPacket.TopLevelProperties(xmp).Count != before)
            {
                replacements[info.ItemId] = XmpPacket.Serialize(xmp);
            }
        }

        return replacements;
    }
}
