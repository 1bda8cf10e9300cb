using System.Buffers.Binary;
using System.Text;

namespace TurnLivePhotos.Media.Jpeg;

/// <summary>One IFD entry as stored: tag, type, count and the value bytes (in the tree's byte order).</summary>
internal sealed record TiffEntry(ushort Tag, ushort Type, uint Count, byte[] Value);

/// <summary>A TIFF tree reduced to what Exif uses: IFD0, Exif, GPS, Interop and IFD1 (+ thumbnail bytes).</summary>
internal sealed class ExifTiff(bool bigEndian)
{
    internal const ushort ExifPointer = 0x8769;
    internal const ushort GpsPointer = 0x8825;
    internal const ushort InteropPointer = 0xA005;
    internal const ushort ThumbnailOffset = 0x0201;
    internal const ushort ThumbnailLength = 0x0202;
    internal static readonly int[] TypeSizes = [0, 1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8];

    public List<TiffEntry> Ifd0 { get; } = [];

    public List<TiffEntry> Exif { get; } = [];

    public List<TiffEntry> Gps { get; } = [];

    public List<TiffEntry> Interop { get; } = [];

    public List<TiffEntry> Ifd1 { get; } = [];

    public byte[]? Thumbnail { get; set; }

    public static ExifTiff Minimal(int width, int height)
    {
        var tiff = new ExifTiff(bigEndian: true);
        tiff.Ifd0.Add(tiff.Short(0x0112, 1));                                // Orientation: upright
        tiff.Ifd0.Add(tiff.Rational(0x011A, 72, 1));                         // XResolution
        tiff.Ifd0.Add(tiff.Rational(0x011B, 72, 1));                         // YResolution
        tiff.Ifd0.Add(tiff.Short(0x0128, 2));                                // ResolutionUnit: inches
        return tiff;
    }

    /// <summary>The tags Exif requires in a JPEG (what exiftool -validate checks), added only where missing.</summary>
    public void AddMissingRequiredTags(int width, int height)
    {
        void Ensure(List<TiffEntry> ifd, TiffEntry entry)
        {
            if (!ifd.Exists(e => e.Tag == entry.Tag))
            {
                ifd.Add(entry);
            }
        }

        Ensure(Ifd0, Short(0x0213, 1));                                      // YCbCrPositioning: centered
        Ensure(Exif, new TiffEntry(0x9000, 7, 4, "0232"u8.ToArray()));           // ExifVersion
        Ensure(Exif, new TiffEntry(0x9101, 7, 4, [1, 2, 3, 0]));                 // ComponentsConfiguration: YCbCr
        Ensure(Exif, Short(0xA001, 1));                                      // ColorSpace: sRGB
        Ensure(Exif, Long(0xA002, (uint)width));                             // PixelXDimension
        Ensure(Exif, Long(0xA003, (uint)height));                            // PixelYDimension
        if (Gps.Count > 0)
        {
            Ensure(Gps, new TiffEntry(0x0000, 1, 4, [2, 3, 0, 0]));              // GPSVersionID 2.3
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

    /// <summary>
    /// Reads the tree with every offset and count checked against the segment in 64-bit arithmetic: each IFD is
    /// read at most once (an IFD pointing back at one already read is a loop and is left out), entries past the
    /// end and values outside the segment are dropped, and all the values together may not copy more bytes than
    /// the segment holds (overlapping values could otherwise copy it thousands of times). What is left out is
    /// said in <paramref name="notes"/>; only a segment that is not TIFF at all throws.
    /// </summary>
    public static ExifTiff Parse(byte[] data, ICollection<MetadataNote>? notes = null)
    {
        if (data.Length < 8 || !(data.AsSpan().StartsWith("MM"u8) || data.AsSpan().StartsWith("II"u8)))
        {
            throw new FormatException("Exif data is not a TIFF structure");
        }

        var tiff = new ExifTiff(data[0] == 'M');
        var reading = new Reading(data, notes);
        var ifd1 = tiff.ReadIfd(reading, tiff.U32(data, 4), "IFD0", tiff.Ifd0);
        tiff.ReadSubIfd(reading, tiff.Ifd0, ExifPointer, "Exif", tiff.Exif);
        tiff.ReadSubIfd(reading, tiff.Ifd0, GpsPointer, "GPS", tiff.Gps);
        tiff.ReadSubIfd(reading, tiff.Exif, InteropPointer, "Interop", tiff.Interop);
        if (ifd1 != 0)
        {
            tiff.ReadIfd(reading, ifd1, "IFD1", tiff.Ifd1);
            var start = tiff.Ifd1.Find(e => e.Tag == ThumbnailOffset) is { } offset ? tiff.Offset(offset) : null;
            var count = tiff.Ifd1.Find(e => e.Tag == ThumbnailLength) is { } length ? tiff.Offset(length) : null;
            if (start is not null && count is not null)
            {
                if ((long)start + count <= data.Length)
                {
                    tiff.Thumbnail = data[(int)start..(int)(start + count)];
                }
                else
                {
                    notes?.Add(new MetadataNote(MetadataPart.Exif, "the thumbnail was dropped: it lies past the end of the segment"));
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
        var ifd0Pointers = new List<(TiffEntry TiffEntry, List<TiffEntry> Target)> { (Long(ExifPointer, 0), Exif) };
        if (Gps.Count > 0)
        {
            ifd0Pointers.Add((Long(GpsPointer, 0), Gps));
        }

        var exifPointers = Interop.Count > 0 ? new List<(TiffEntry, List<TiffEntry>)> { (Long(InteropPointer, 0), Interop) } : [];
        Ifd0.AddRange(ifd0Pointers.Select(p => p.TiffEntry));
        Exif.AddRange(exifPointers.Select(p => p.Item1));
        var hasThumbnail = Thumbnail is not null && Ifd1.Count > 0;
        if (hasThumbnail)
        {
            Ifd1.Add(Long(ThumbnailOffset, 0));
            Ifd1.Add(Long(ThumbnailLength, (uint)Thumbnail!.Length));
        }

        var positions = new Dictionary<List<TiffEntry>, int>();
        var patches = new List<(int At, List<TiffEntry> Target)>();
        var order = new List<List<TiffEntry>> { Ifd0, Exif };
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

    private (List<(ushort Tag, int At)> Pointers, int NextIfdAt, int? ThumbnailAt) WriteIfd(List<byte> output, List<TiffEntry> entries)
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

    /// <summary>Reads the IFD at <paramref name="offset"/> into <paramref name="into"/>; returns the next IFD's offset (0: none).</summary>
    private uint ReadIfd(Reading reading, uint offset, string name, List<TiffEntry> into)
    {
        var data = reading.Data;
        if (offset == 0)
        {
            return 0;
        }

        if ((long)offset + 2 > data.Length)
        {
            reading.Note($"the {name} IFD was dropped: its offset {offset} lies past the end of the segment");
            return 0;
        }

        if (!reading.Visited.Add(offset))
        {
            reading.Note($"the {name} IFD was dropped: it points back at an IFD already read (a loop)");
            return 0;
        }

        var count = U16(data, offset);
        var fits = (int)Math.Min(count, (data.Length - offset - 2) / 12);
        if (fits < count)
        {
            reading.Note($"the {name} IFD was cut short: {count - fits} of its {count} entries lie past the end of the segment");
        }

        var dropped = 0;
        for (var i = 0; i < fits; i++)
        {
            var at = offset + 2 + (12L * i);
            var tag = U16(data, at);
            var type = U16(data, at + 2);
            var n = U32(data, at + 4);
            var size = type < TypeSizes.Length ? (long)TypeSizes[type] * n : -1;
            if (size < 0)
            {
                continue; // unknown type: drop the entry rather than guess its size
            }

            long valueAt = size <= 4 ? at + 8 : U32(data, at + 8);
            if (valueAt + size > data.Length || !reading.Take(size))
            {
                dropped++;
                continue;
            }

            into.Add(new TiffEntry(tag, type, n, data[(int)valueAt..(int)(valueAt + size)]));
        }

        if (dropped > 0)
        {
            reading.Note($"{dropped} entries of the {name} IFD were dropped: their values lie past the end of the segment or overlap others");
        }

        var nextAt = offset + 2 + (12L * count);
        return nextAt + 4 <= data.Length ? U32(data, nextAt) : 0;
    }

    private void ReadSubIfd(Reading reading, List<TiffEntry> parent, ushort pointerTag, string name, List<TiffEntry> into)
    {
        var pointer = parent.Find(e => e.Tag == pointerTag);
        if (pointer is null)
        {
            return;
        }

        if (Offset(pointer) is { } offset)
        {
            ReadIfd(reading, offset, name, into);
        }
        else
        {
            reading.Note($"the {name} IFD was dropped: its pointer is not one LONG value");
        }
    }

    /// <summary>The value of a one-value SHORT, LONG or IFD entry (pointers and thumbnail offsets); null for anything else.</summary>
    private uint? Offset(TiffEntry entry) => entry switch
    {
        { Count: 1, Type: 3, Value.Length: 2 } => U16(entry.Value, 0),
        { Count: 1, Type: 4 or 13, Value.Length: 4 } => U32(entry.Value, 0),
        _ => null,
    };

    private TiffEntry Short(ushort tag, ushort value) => new(tag, 3, 1, U16Bytes(value));

    private TiffEntry Long(ushort tag, uint value) => new(tag, 4, 1, U32Bytes(value));

    private TiffEntry Rational(ushort tag, uint numerator, uint denominator) => new(tag, 5, 1, [.. U32Bytes(numerator), .. U32Bytes(denominator)]);

    private void Patch(List<byte> output, int at, uint value)
    {
        var bytes = U32Bytes(value);
        for (var i = 0; i < 4; i++)
        {
            output[at + i] = bytes[i];
        }
    }

    private ushort U16(byte[] data, long at) => bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan((int)at)) : BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan((int)at));

    private uint U32(byte[] data, long at) => bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan((int)at)) : BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan((int)at));

    /// <summary>One parse: the segment, the IFDs already read, the value bytes still allowed, and where notes go.</summary>
    private sealed class Reading(byte[] data, ICollection<MetadataNote>? notes)
    {
        private long valueBudget = data.Length;

        public byte[] Data => data;

        public HashSet<uint> Visited { get; } = [];

        /// <summary>Takes <paramref name="size"/> bytes of the budget; false when the values would copy more than the segment holds.</summary>
        public bool Take(long size)
        {
            if (size > 4 && size > valueBudget)
            {
                return false;
            }

            valueBudget -= size > 4 ? size : 0;
            return true;
        }

        public void Note(string reason) => notes?.Add(new MetadataNote(MetadataPart.Exif, reason));
    }

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
