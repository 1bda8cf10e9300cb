using System.Buffers.Binary;
using System.Text;

namespace TurnLivePhotos.Media.Jpeg;

/// <summary>
/// Rewrites a JPEG's Exif (a TIFF structure) with an Apple MakerNote carrying a Live Photo content identifier.
/// Every existing IFD (0, Exif, GPS, Interop, 1 with its thumbnail) is carried over in its byte order; only the
/// MakerNote is replaced. Without Exif, a minimal valid one is made (what exiftool -validate expects).
/// </summary>
public static class ExifWriter
{
    private const ushort MakerNote = 0x927C;

    /// <summary>
    /// Returns the JPEG with <paramref name="contentIdentifier"/> as its Apple MakerNote's ContentIdentifier: the
    /// photo's own Apple note is kept whole (every other tag as it was, LivePhotoVideoIndex removed); a photo with
    /// no readable Apple note gets one with MakerNoteVersion and the identifier. The image data is untouched.
    /// </summary>
    public static byte[] WithContentIdentifier(byte[] jpeg, string contentIdentifier, int width, int height, ICollection<MetadataNote>? notes = null)
    {
        var file = JpegFile.Parse(jpeg);
        Edit(file, width, height, dropThumbnail: false, notes, tiff => SetContentIdentifier(tiff, contentIdentifier, notes));
        return file.ToArray();
    }

    /// <summary>Puts the identifier into the Exif IFD's MakerNote as <see cref="WithContentIdentifier"/> describes.</summary>
    internal static void SetContentIdentifier(ExifTiff tiff, string contentIdentifier, ICollection<MetadataNote>? notes)
    {
        var index = tiff.Exif.FindIndex(entry => entry.Tag == MakerNote);
        AppleMakerNote? note = null;
        if (index >= 0 && AppleMakerNote.IsApple(tiff.Exif[index].Value))
        {
            try
            {
                note = AppleMakerNote.Parse(tiff.Exif[index].Value, notes);
            }
            catch (FormatException ex)
            {
                notes?.Add(new MetadataNote(MetadataPart.Exif, $"the Apple MakerNote was replaced by one with only the identifier: {ex.Message}"));
            }
        }

        var bytes = (note?.WithContentIdentifier(contentIdentifier) ?? AppleMakerNote.Create(contentIdentifier)).ToBytes();
        tiff.Exif.RemoveAll(entry => entry.Tag == MakerNote);
        tiff.Exif.Add(new TiffEntry(MakerNote, 7, (uint)bytes.Length, bytes));
    }

    /// <summary>
    /// Puts a still's Exif in the shape every reader accepts: one Exif APP1 first after SOI (after JFIF APP0 when
    /// that is first), a minimal one where the photo had none or an unreadable one (older Android readers need it),
    /// the required tags present, the pixel dimensions of the written image, an Apple MakerNote without the Live
    /// Photo identifiers (ContentIdentifier 0x0011, LivePhotoVideoIndex 0x0017) that would pair it with the old
    /// movie, and, when the pixels were re-encoded, no thumbnail (it would show the old pixels). Parts of the Exif
    /// that cannot be read safely are left out, each with a note in <paramref name="notes"/>.
    /// </summary>
    public static void Normalize(JpegFile file, int width, int height, bool dropThumbnail, ICollection<MetadataNote>? notes = null) =>
        Edit(file, width, height, dropThumbnail, notes, tiff =>
        {
            var note = tiff.Exif.FindIndex(entry => entry.Tag == MakerNote);
            if (note >= 0 && AppleMakerNoteWithout(tiff.Exif[note].Value, [0x0011, 0x0017]) is { } cleaned)
            {
                tiff.Exif[note] = new TiffEntry(MakerNote, 7, (uint)cleaned.Length, cleaned);
            }
        });

    private static void Edit(JpegFile file, int width, int height, bool dropThumbnail, ICollection<MetadataNote>? notes, Action<ExifTiff> change)
    {
        ArgumentNullException.ThrowIfNull(file);
        var existing = file.Segments.Find(segment => segment.IsExif);
        ExifTiff? tiff = null;
        if (existing is not null)
        {
            try
            {
                tiff = ExifTiff.Parse(existing.Payload[JpegSegment.ExifHeader.Length..], notes);
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException or IndexOutOfRangeException)
            {
                // An unreadable Exif is replaced by a minimal one rather than carried on broken.
                notes?.Add(new MetadataNote(MetadataPart.Exif, $"unreadable ({ex.Message}), replaced by a minimal Exif"));
                tiff = null;
            }
        }

        tiff ??= ExifTiff.Minimal(width, height);
        tiff.AddMissingRequiredTags(width, height);
        tiff.SetDimensions(width, height);
        if (dropThumbnail)
        {
            tiff.Ifd1.Clear();
            tiff.Thumbnail = null;
        }

        change(tiff);
        file.Segments.RemoveAll(segment => segment.IsExif);
        var first = file.Segments.Count > 0 && file.Segments[0].Marker == 0xE0 && file.Segments[0].Payload.AsSpan().StartsWith("JFIF\0"u8) ? 1 : 0;
        file.Segments.Insert(first, JpegSegment.Exif(tiff.Write()));
    }

    /// <summary>
    /// An Apple MakerNote rebuilt without <paramref name="tags"/> (see <see cref="AppleMakerNote"/>); null when it
    /// is not a readable Apple note or has none of them.
    /// </summary>
    public static byte[]? AppleMakerNoteWithout(byte[] note, ushort[] tags)
    {
        ArgumentNullException.ThrowIfNull(note);
        ArgumentNullException.ThrowIfNull(tags);
        if (!AppleMakerNote.IsApple(note))
        {
            return null;
        }

        try
        {
            var parsed = AppleMakerNote.Parse(note);
            return parsed.Entries.Any(e => tags.Contains(e.Tag)) ? parsed.Without(tags).ToBytes() : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// When the photo was taken: Exif DateTimeOriginal (0x9003), with OffsetTimeOriginal (0x9011) when the photo has
    /// it. Null when the photo has no readable capture time.
    /// </summary>
    public static CaptureTime? CaptureTime(byte[] jpeg)
    {
        var exif = JpegFile.Parse(jpeg).Segments.Find(segment => segment.IsExif);
        if (exif is null)
        {
            return null;
        }

        try
        {
            return CaptureTime(ExifTiff.Parse(exif.Payload[JpegSegment.ExifHeader.Length..]));
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>The capture time of a parsed Exif tree, as <see cref="CaptureTime(byte[])"/> reads it.</summary>
    internal static CaptureTime? CaptureTime(ExifTiff tiff)
    {
        try
        {
            var original = tiff.Exif.Find(e => e.Tag == 0x9003);
            if (original is null || !DateTime.TryParseExact(Encoding.ASCII.GetString(original.Value).TrimEnd('\0', ' '), "yyyy:MM:dd HH:mm:ss",
                    System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var local))
            {
                return null;
            }

            var offsetText = tiff.Exif.Find(e => e.Tag == 0x9011) is { } offset ? Encoding.ASCII.GetString(offset.Value).TrimEnd('\0', ' ') : null;
            return offsetText is not null && TimeSpan.TryParseExact(offsetText.TrimStart('+', '-'), @"hh\:mm", System.Globalization.CultureInfo.InvariantCulture, out var span)
                ? new CaptureTime(local, offsetText.StartsWith('-') ? -span : span)
                : new CaptureTime(local, null);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or IndexOutOfRangeException)
        {
            return null;
        }
    }
}
