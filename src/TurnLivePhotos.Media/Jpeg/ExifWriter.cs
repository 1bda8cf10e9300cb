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
    private const ushort ExifPointer = 0x8769;
    private const ushort GpsPointer = 0x8825;
    private const ushort InteropPointer = 0xA005;
    private const ushort MakerNote = 0x927C;
    private const ushort ThumbnailOffset = 0x0201;
    private const ushort ThumbnailLength = 0x0202;

    private static readonly int[] TypeSizes = [0, 1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8];

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
        Edit(file, width, height, dropThumbnail: false, tiff =>
        {
            tiff.Exif.RemoveAll(entry => entry.Tag == MakerNote);
            tiff.Exif.Add(new Entry(MakerNote, 7, (uint)makerNote.Length, makerNote));
        });
        return file.ToArray();
    }

    /// <summary>
    /// Puts a still's Exif in the shape every reader accepts: one Exif APP1 first after SOI (after JFIF APP0 when
    /// that is first), a minimal one where the photo had none or an unreadable one (older Android readers need it),
    /// the required tags present, the pixel dimensions of the written image, an Apple MakerNote without the Live
    /// Photo identifiers (ContentIdentifier 0x0011, LivePhotoVideoIndex 0x0017) that would pair it with the old
    /// movie, and, when the pixels were re-encoded, no thumbnail (it would show the old pixels).
    /// </summary>
    public static void Normalize(JpegFile file, int width, int height, bool dropThumbnail) =>
        Edit(file, width, height, dropThumbnail, tiff =>
        {
            var note = tiff.Exif.FindIndex(entry => entry.Tag == MakerNote);
            if (note >= 0 && AppleMakerNoteWithout(tiff.Exif[note].Value, [0x0011, 0x0017]) is { } cleaned)
            {
                tiff.Exif[note] = new Entry(MakerNote, 7, (uint)cleaned.Length, cleaned);
            }
        });

    private static void Edit(JpegFile file, int width, int height, bool dropThumbnail, Action<Tiff> change)
    {
        ArgumentNullException.ThrowIfNull(file);
        var existing = file.Segments.Find(segment => segment.IsExif);
        Tiff? tiff = null;
        if (existing is not null)
        {
            try
            {
                tiff = Tiff.Parse(existing.Payload[JpegSegment.ExifHeader.Length..]);
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException or IndexOutOfRangeException)
            {
                tiff = null; // an unreadable Exif is replaced by a minimal one rather than carried on broken
            }
        }

        tiff ??= Tiff.Minimal(width, height);
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

            var size = type < TypeSizes.Length ? (long)TypeSizes[type] * n : -1;
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
    /// When the photo was taken: Exif DateTimeOriginal (0x9003) with OffsetTimeOriginal (0x9011) when present, else
    /// read in this machine's time zone. Null when the photo has no readable capture time.
    /// </summary>
    public static DateTimeOffset? CaptureTime(byte[] jpeg)
    {
        var exif = JpegFile.Parse(jpeg).Segments.Find(segment => segment.IsExif);
        if (exif is null)
        {
            return null;
        }

        try
        {
            var tiff = Tiff.Parse(exif.Payload[JpegSegment.ExifHeader.Length..]);
            var original = tiff.Exif.Find(e => e.Tag == 0x9003);
            if (original is null || !DateTime.TryParseExact(Encoding.ASCII.GetString(original.Value).TrimEnd('\0', ' '), "yyyy:MM:dd HH:mm:ss",
                    System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var local))
            {
                return null;
            }

            var offsetText = tiff.Exif.Find(e => e.Tag == 0x9011) is { } offset ? Encoding.ASCII.GetString(offset.Value).TrimEnd('\0', ' ') : null;
            return offsetText is not null && TimeSpan.TryParseExact(offsetText.TrimStart('+', '-'), @"hh\:mm", System.Globalization.CultureInfo.InvariantCulture, out var span)
                ? new DateTimeOffset(local, offsetText.StartsWith('-') ? -span : span)
                : new DateTimeOffset(local, TimeZoneInfo.Local.GetUtcOffset(local));
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    private sealed record Entry(ushort Tag, ushort Type, uint Count, byte[] Value);

    /// <summary>A TIFF tree reduced to what Exif uses: IFD0, Exif, GPS, Interop and IFD1 (+ thumbnail bytes).</summary>
    private sealed class Tiff(bool bigEndian)
    {
        public List<Entry> Ifd0 { get; } = [];

        public List<Entry> Exif { get; } = [];

        public List<Entry> Gps { get; } = [];

        public List<Entry> Interop { get; } = [];

        public List<Entry> Ifd1 { get; } = [];

        public byte[]? Thumbnail { get; set; }

        public static Tiff Minimal(int width, int height)
        {
            var tiff = new Tiff(bigEndian: true);
            tiff.Ifd0.Add(tiff.Short(0x0112, 1));                                // Orientation: upright
            tiff.Ifd0.Add(tiff.Rational(0x011A, 72, 1));                         // XResolution
            tiff.Ifd0.Add(tiff.Rational(0x011B, 72, 1));                         // YResolution
            tiff.Ifd0.Add(tiff.Short(0x0128, 2));                                // ResolutionUnit: inches
            return tiff;
        }

        /// <summary>The tags Exif requires in a JPEG (what exiftool -validate checks), added only where missing.</summary>
        public void AddMissingRequiredTags(int width, int height)
        {
            void Ensure(List<Entry> ifd, Entry entry)
            {
                if (!ifd.Exists(e => e.Tag == entry.Tag))
                {
                    ifd.Add(entry);
                }
            }

            Ensure(Ifd0, Short(0x0213, 1));                                      // YCbCrPositioning: centered
            Ensure(Exif, new Entry(0x9000, 7, 4, "0232"u8.ToArray()));           // ExifVersion
            Ensure(Exif, new Entry(0x9101, 7, 4, [1, 2, 3, 0]));                 // ComponentsConfiguration: YCbCr
            Ensure(Exif, Short(0xA001, 1));                                      // ColorSpace: sRGB
            Ensure(Exif, Long(0xA002, (uint)width));                             // PixelXDimension
            Ensure(Exif, Long(0xA003, (uint)height));                            // PixelYDimension
            if (Gps.Count > 0)
            {
                Ensure(Gps, new Entry(0x0000, 1, 4, [2, 3, 0, 0]));              // GPSVersionID 2.3
            }
        }

        /// <summary>PixelXDimension/PixelYDimension of the image actually written (a rotation swaps them).</summary>
        public void SetDimensions(int width, int height)
        {
            Ifd0.RemoveAll(e => e.Tag is 0x0100 or 0x0101); // ImageWidth/ImageLength belong to TIFF files, not JPEG Exif

            Exif.RemoveAll(e => e.Tag is 0xA002 or 0xA003);
            Exif.Add(Long(0xA002, (uint)width));
            Exif.Add(Long(0xA003, (uint)height));
        }

        public static Tiff Parse(byte[] data)
        {
            if (data.Length < 8 || !(data.AsSpan().StartsWith("MM"u8) || data.AsSpan().StartsWith("II"u8)))
            {
                throw new FormatException("Exif data is not a TIFF structure");
            }

            var tiff = new Tiff(data[0] == 'M');
            var ifd1 = tiff.ReadIfd(data, tiff.U32(data, 4), tiff.Ifd0);
            tiff.ReadSubIfd(data, tiff.Ifd0, ExifPointer, tiff.Exif);
            tiff.ReadSubIfd(data, tiff.Ifd0, GpsPointer, tiff.Gps);
            tiff.ReadSubIfd(data, tiff.Exif, InteropPointer, tiff.Interop);
            if (ifd1 != 0)
            {
                tiff.ReadIfd(data, ifd1, tiff.Ifd1);
                var offset = tiff.Ifd1.FirstOrDefault(e => e.Tag == ThumbnailOffset);
                var length = tiff.Ifd1.FirstOrDefault(e => e.Tag == ThumbnailLength);
                if (offset is not null && length is not null)
                {
                    var start = tiff.U32(offset.Value, 0);
                    var count = tiff.U32(length.Value, 0);
                    if (start + count <= data.Length)
                    {
                        tiff.Thumbnail = data[(int)start..(int)(start + count)];
                    }
                }
            }

            return tiff;
        }

        public byte[] Write()
        {
            var output = new List<byte>(bigEndian ? "MM\0*"u8.ToArray() : "II*\0"u8.ToArray());
            output.AddRange(U32Bytes(8));
            Ifd0.RemoveAll(e => e.Tag is ExifPointer or GpsPointer);
            Exif.RemoveAll(e => e.Tag == InteropPointer);
            Ifd1.RemoveAll(e => e.Tag is ThumbnailOffset or ThumbnailLength);

            // IFDs are laid out in this order; pointer entries are added with placeholder values, then patched.
            var ifd0Pointers = new List<(Entry Entry, List<Entry> Target)> { (Long(ExifPointer, 0), Exif) };
            if (Gps.Count > 0)
            {
                ifd0Pointers.Add((Long(GpsPointer, 0), Gps));
            }

            var exifPointers = Interop.Count > 0 ? new List<(Entry, List<Entry>)> { (Long(InteropPointer, 0), Interop) } : [];
            Ifd0.AddRange(ifd0Pointers.Select(p => p.Entry));
            Exif.AddRange(exifPointers.Select(p => p.Item1));
            var hasThumbnail = Thumbnail is not null && Ifd1.Count > 0;
            if (hasThumbnail)
            {
                Ifd1.Add(Long(ThumbnailOffset, 0));
                Ifd1.Add(Long(ThumbnailLength, (uint)Thumbnail!.Length));
            }

            var positions = new Dictionary<List<Entry>, int>();
            var patches = new List<(int At, List<Entry> Target)>();
            var order = new List<List<Entry>> { Ifd0, Exif };
            if (Gps.Count > 0)
            {
                order.Add(Gps);
            }

            if (Interop.Count > 0)
            {
                order.Add(Interop);
            }

            int? nextIfdPatch = null;
            int? thumbnailPatch = null;
            foreach (var ifd in order.Concat(hasThumbnail ? [Ifd1] : []))
            {
                positions[ifd] = output.Count;
                var (pointerSlots, next, thumb) = WriteIfd(output, ifd);
                foreach (var (tag, at) in pointerSlots)
                {
                    var target = tag switch { ExifPointer => Exif, GpsPointer => Gps, InteropPointer => Interop, _ => null };
                    if (target is not null)
                    {
                        patches.Add((at, target));
                    }
                }

                if (ifd == Ifd0)
                {
                    nextIfdPatch = next;
                }

                thumbnailPatch ??= thumb;
            }

            foreach (var (at, target) in patches)
            {
                Patch(output, at, (uint)positions[target]);
            }

            if (hasThumbnail)
            {
                Patch(output, nextIfdPatch!.Value, (uint)positions[Ifd1]);
                Patch(output, thumbnailPatch!.Value, (uint)output.Count);
                output.AddRange(Thumbnail!);
            }

            return [.. output];
        }

        private (List<(ushort Tag, int At)> Pointers, int NextIfdAt, int? ThumbnailAt) WriteIfd(List<byte> output, List<Entry> entries)
        {
            entries.Sort((a, b) => a.Tag.CompareTo(b.Tag));
            var start = output.Count;
            var dataStart = start + 2 + (12 * entries.Count) + 4;
            var data = new List<byte>();
            output.AddRange(U16Bytes((ushort)entries.Count));
            var pointers = new List<(ushort, int)>();
            int? thumbnail = null;
            foreach (var entry in entries)
            {
                output.AddRange(U16Bytes(entry.Tag));
                output.AddRange(U16Bytes(entry.Type));
                output.AddRange(U32Bytes(entry.Count));
                if (entry.Tag is ExifPointer or GpsPointer or InteropPointer)
                {
                    pointers.Add((entry.Tag, output.Count));
                }

                if (entry.Tag == ThumbnailOffset)
                {
                    thumbnail = output.Count;
                }

                if (entry.Value.Length <= 4)
                {
                    output.AddRange(entry.Value);
                    output.AddRange(new byte[4 - entry.Value.Length]);
                }
                else
                {
                    output.AddRange(U32Bytes((uint)(dataStart + data.Count)));
                    data.AddRange(entry.Value);
                    if (data.Count % 2 == 1)
                    {
                        data.Add(0);
                    }
                }
            }

            var next = output.Count;
            output.AddRange(U32Bytes(0));
            output.AddRange(data);
            return (pointers, next, thumbnail);
        }

        private uint ReadIfd(byte[] data, uint offset, List<Entry> into)
        {
            if (offset == 0 || offset + 2 > data.Length)
            {
                return 0;
            }

            var count = U16(data, (int)offset);
            for (var i = 0; i < count; i++)
            {
                var at = (int)offset + 2 + (12 * i);
                if (at + 12 > data.Length)
                {
                    throw new FormatException("Exif IFD runs past the end of its segment");
                }

                var tag = U16(data, at);
                var type = U16(data, at + 2);
                var n = U32(data, at + 4);
                var size = type < TypeSizes.Length ? (long)TypeSizes[type] * n : -1;
                if (size < 0)
                {
                    continue; // unknown type: drop the entry rather than guess its size
                }

                long valueAt = size <= 4 ? at + 8 : U32(data, at + 8);
                if (valueAt + size > data.Length)
                {
                    continue;
                }

                into.Add(new Entry(tag, type, n, data[(int)valueAt..(int)(valueAt + size)]));
            }

            var nextAt = (int)offset + 2 + (12 * count);
            return nextAt + 4 <= data.Length ? U32(data, nextAt) : 0;
        }

        private void ReadSubIfd(byte[] data, List<Entry> parent, ushort pointerTag, List<Entry> into)
        {
            var pointer = parent.FirstOrDefault(e => e.Tag == pointerTag);
            if (pointer is not null)
            {
                ReadIfd(data, U32(pointer.Value, 0), into);
            }
        }

        private Entry Short(ushort tag, ushort value) => new(tag, 3, 1, U16Bytes(value));

        private Entry Long(ushort tag, uint value) => new(tag, 4, 1, U32Bytes(value));

        private Entry Rational(ushort tag, uint numerator, uint denominator) => new(tag, 5, 1, [.. U32Bytes(numerator), .. U32Bytes(denominator)]);

        private void Patch(List<byte> output, int at, uint value)
        {
            var bytes = U32Bytes(value);
            for (var i = 0; i < 4; i++)
            {
                output[at + i] = bytes[i];
            }
        }

        private ushort U16(byte[] data, int at) => bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(at)) : BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(at));

        private uint U32(byte[] data, long at) => bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan((int)at)) : BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan((int)at));

        private byte[] U16Bytes(ushort value)
        {
            var bytes = new byte[2];
            if (bigEndian)
            {
                BinaryPrimitives.WriteUInt16BigEndian(bytes, value);
            }
            else
            {
                BinaryPrimitives.WriteUInt16LittleEndian(bytes, value);
            }

            return bytes;
        }

        private byte[] U32Bytes(uint value)
        {
            var bytes = new byte[4];
            if (bigEndian)
            {
                BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
            }

            return bytes;
        }
    }
}
