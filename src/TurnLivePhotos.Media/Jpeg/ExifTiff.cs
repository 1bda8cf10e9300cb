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

    public static ExifTiff Parse(byte[] data)
    {
        if (data.Length < 8 || !(data.AsSpan().StartsWith("MM"u8) || data.AsSpan().StartsWith("II"u8)))
        {
            throw new FormatException("Exif data is not a TIFF structure");
        }

        var tiff = new ExifTiff(data[0] == 'M');
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

    private uint ReadIfd(byte[] data, uint offset, List<TiffEntry> into)
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

            into.Add(new TiffEntry(tag, type, n, data[(int)valueAt..(int)(valueAt + size)]));
        }

        var nextAt = (int)offset + 2 + (12 * count);
        return nextAt + 4 <= data.Length ? U32(data, nextAt) : 0;
    }

    private void ReadSubIfd(byte[] data, List<TiffEntry> parent, ushort pointerTag, List<TiffEntry> into)
    {
        var pointer = parent.FirstOrDefault(e => e.Tag == pointerTag);
        if (pointer is not null)
        {
            ReadIfd(data, U32(pointer.Value, 0), into);
        }
    }

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
