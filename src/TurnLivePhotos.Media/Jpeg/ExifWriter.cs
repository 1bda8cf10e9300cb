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

    /// <summary>The 0x0011 ContentIdentifier of an Apple MakerNote (big-endian, offsets from the blob's start).</summary>
    public static byte[] AppleMakerNote(string contentIdentifier)
    {
        var id = Encoding.ASCII.GetBytes(contentIdentifier + "\0");
        const int entries = 2;
        var dataOffset = 16 + (12 * entries) + 4;
        var blob = new byte[dataOffset + id.Length + (id.Length % 2)];
        "Apple iOS\0"u8.CopyTo(blob);
        blob[10] = 0x00;
        blob[11] = 0x01;
        blob[12] = (byte)'M';
        blob[13] = (byte)'M';
        BinaryPrimitives.WriteUInt16BigEndian(blob.AsSpan(14), entries);
        WriteEntry(blob.AsSpan(16), 0x0001, 9, 1, 14);                           // MakerNoteVersion (SLONG)
        WriteEntry(blob.AsSpan(28), 0x0011, 2, (uint)id.Length, (uint)dataOffset); // ContentIdentifier (ASCII)
        id.CopyTo(blob, dataOffset);
        return blob;

        static void WriteEntry(Span<byte> at, ushort tag, ushort type, uint count, uint value)
        {
            BinaryPrimitives.WriteUInt16BigEndian(at, tag);
            BinaryPrimitives.WriteUInt16BigEndian(at[2..], type);
            BinaryPrimitives.WriteUInt32BigEndian(at[4..], count);
            BinaryPrimitives.WriteUInt32BigEndian(at[8..], value);
        }
    }

    /// <summary>Returns the JPEG with its Exif carrying <paramref name="makerNote"/>; the image data is untouched.</summary>
    public static byte[] WithMakerNote(byte[] jpeg, byte[] makerNote, int width, int height)
    {
        var file = JpegFile.Parse(jpeg);
        Edit(file, width, height, dropThumbnail: false, notes: null, tiff =>
        {
            tiff.Exif.RemoveAll(entry => entry.Tag == MakerNote);
            tiff.Exif.Add(new TiffEntry(MakerNote, 7, (uint)makerNote.Length, makerNote));
        });
        return file.ToArray();
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
    /// An Apple MakerNote ("Apple iOS\0", big-endian IFD whose offsets count from the note's first byte) rebuilt
    /// without <paramref name="tags"/>; null when it is not an Apple note or has none of them.
    /// </summary>
    public static byte[]? AppleMakerNoteWithout(byte[] note, ushort[] tags)
    {
        ArgumentNullException.ThrowIfNull(note);
        if (note.Length < 18 || !note.AsSpan().StartsWith("Apple iOS\0"u8) || note[12] != 'M' || note[13] != 'M')
        {
            return null;
        }

        var count = BinaryPrimitives.ReadUInt16BigEndian(note.AsSpan(14));
        var kept = new List<(ushort Tag, ushort Type, uint Count, byte[] Value)>();
        var removed = false;
        for (var i = 0; i < count; i++)
        {
            var at = 16 + (12 * i);
            if (at + 12 > note.Length)
            {
                return null;
            }

            var tag = BinaryPrimitives.ReadUInt16BigEndian(note.AsSpan(at));
            var type = BinaryPrimitives.ReadUInt16BigEndian(note.AsSpan(at + 2));
            var n = BinaryPrimitives.ReadUInt32BigEndian(note.AsSpan(at + 4));
            if (tags.Contains(tag))
            {
                removed = true;
                continue;
            }

            var size = type < ExifTiff.TypeSizes.Length ? (long)ExifTiff.TypeSizes[type] * n : -1;
            long valueAt = size <= 4 ? at + 8 : BinaryPrimitives.ReadUInt32BigEndian(note.AsSpan(at + 8));
            if (size < 0 || valueAt + size > note.Length)
            {
                continue; // an entry we cannot carry over intact is left out
            }

            kept.Add((tag, type, n, note[(int)valueAt..(int)(valueAt + size)]));
        }

        if (!removed)
        {
            return null;
        }

        var dataStart = 16 + (12 * kept.Count) + 4;
        var output = new List<byte>(note[..14]);
        var data = new List<byte>();
        output.AddRange([(byte)(kept.Count >> 8), (byte)kept.Count]);
        foreach (var (tag, type, n, value) in kept)
        {
            var entry = new byte[12];
            BinaryPrimitives.WriteUInt16BigEndian(entry, tag);
            BinaryPrimitives.WriteUInt16BigEndian(entry.AsSpan(2), type);
            BinaryPrimitives.WriteUInt32BigEndian(entry.AsSpan(4), n);
            if (value.Length <= 4)
            {
                value.CopyTo(entry, 8);
            }
            else
            {
                BinaryPrimitives.WriteUInt32BigEndian(entry.AsSpan(8), (uint)(dataStart + data.Count));
                data.AddRange(value);
                if (data.Count % 2 == 1)
                {
                    data.Add(0);
                }
            }

            output.AddRange(entry);
        }

        output.AddRange(new byte[4]);
        output.AddRange(data);
        return [.. output];
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
            var tiff = ExifTiff.Parse(exif.Payload[JpegSegment.ExifHeader.Length..]);
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
