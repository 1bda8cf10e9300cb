using System.Buffers.Binary;

namespace TurnLivePhotos.Media.Jpeg;

/// <summary>One MP Entry of a Multi-Picture Format index: the image's attribute word, byte size and offset.</summary>
/// <param name="Offset">0 for the first image; for the others, bytes from the index's TIFF header (the byte after "MPF\0") to the image's SOI.</param>
public sealed record MultiPictureEntry(uint Attribute, uint Size, uint Offset)
{
    /// <summary>Type code "Baseline MP Primary Image" (0x030000), JPEG data format: what Ultra HDR writers give the primary.</summary>
    public const uint PrimaryImage = 0x0003_0000;

    /// <summary>JPEG data format with no type code: what Ultra HDR writers give the gain map.</summary>
    public const uint UndefinedJpeg = 0;
}

/// <summary>
/// The Multi-Picture Format index (CIPA DC-007) in a JPEG's APP2 segment: "MPF\0", a TIFF header, an Index IFD with
/// MPFVersion (0xB000), NumberOfImages (0xB001) and MPEntry (0xB002), then the 16-byte entries. Ultra HDR uses it to
/// say where the gain map JPEG starts after the primary's EOI. Written big-endian with no Attribute IFD, as
/// Android's libultrahdr writes it; read in either byte order.
/// </summary>
public static class MultiPictureIndex
{
    public static readonly byte[] Signature = "MPF\0"u8.ToArray();

    /// <summary>From a segment's marker to its TIFF header: FF E2, the length, "MPF\0". Entry offsets count from there.</summary>
    public const int MarkerToTiffHeader = 8;

    private const ushort VersionTag = 0xB000;
    private const ushort NumberOfImagesTag = 0xB001;
    private const ushort EntryTag = 0xB002;
    private const int EntrySize = 16;

    public static bool IsIndex(JpegSegment segment) =>
        segment.Marker == 0xE2 && segment.Payload.AsSpan().StartsWith(Signature);

    /// <summary>The entries of an MPF APP2 payload, in index order; null when it is not a readable index.</summary>
    public static IReadOnlyList<MultiPictureEntry>? Read(byte[] payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var tiff = payload.AsSpan(Signature.Length);
        if (!payload.AsSpan().StartsWith(Signature) || tiff.Length < 8)
        {
            return null;
        }

        bool bigEndian;
        if (tiff.StartsWith("MM\0*"u8))
        {
            bigEndian = true;
        }
        else if (tiff.StartsWith("II*\0"u8))
        {
            bigEndian = false;
        }
        else
        {
            return null;
        }

        ushort U16(ReadOnlySpan<byte> at) => bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(at) : BinaryPrimitives.ReadUInt16LittleEndian(at);
        uint U32(ReadOnlySpan<byte> at) => bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(at) : BinaryPrimitives.ReadUInt32LittleEndian(at);

        var ifd = U32(tiff[4..]);
        if (ifd + 2L > tiff.Length)
        {
            return null;
        }

        var count = U16(tiff[(int)ifd..]);
        for (var i = 0; i < count; i++)
        {
            var at = (int)ifd + 2 + (12 * i);
            if (at + 12 > tiff.Length)
            {
                return null;
            }

            if (U16(tiff[at..]) != EntryTag)
            {
                continue;
            }

            var bytes = U32(tiff[(at + 4)..]);
            var offset = U32(tiff[(at + 8)..]);
            if (bytes % EntrySize != 0 || offset + (long)bytes > tiff.Length)
            {
                return null;
            }

            var entries = new List<MultiPictureEntry>();
            for (var e = 0; e < bytes / EntrySize; e++)
            {
                var entry = tiff[(int)(offset + (e * EntrySize))..];
                entries.Add(new MultiPictureEntry(U32(entry), U32(entry[4..]), U32(entry[8..])));
            }

            return entries;
        }

        return null;
    }

    /// <summary>An MPF APP2 payload listing <paramref name="entries"/> (its size depends only on their count).</summary>
    public static byte[] Write(IReadOnlyList<MultiPictureEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        const int ifdOffset = 8;
        const int tagCount = 3;
        const int entriesOffset = ifdOffset + 2 + (12 * tagCount) + 4;
        var payload = new byte[Signature.Length + entriesOffset + (EntrySize * entries.Count)];
        Signature.CopyTo(payload, 0);
        var tiff = payload.AsSpan(Signature.Length);
        "MM\0*"u8.CopyTo(tiff);
        BinaryPrimitives.WriteUInt32BigEndian(tiff[4..], ifdOffset);
        BinaryPrimitives.WriteUInt16BigEndian(tiff[ifdOffset..], tagCount);
        var tag = tiff[(ifdOffset + 2)..];
        WriteTag(tag, VersionTag, 7, 4, "0100"u8);
        WriteTag(tag[12..], NumberOfImagesTag, 4, 1, BigEndian((uint)entries.Count));
        WriteTag(tag[24..], EntryTag, 7, (uint)(EntrySize * entries.Count), BigEndian(entriesOffset));
        // The 4 bytes after the tags stay 0: no Attribute IFD follows.
        for (var i = 0; i < entries.Count; i++)
        {
            var at = tiff[(entriesOffset + (i * EntrySize))..];
            BinaryPrimitives.WriteUInt32BigEndian(at, entries[i].Attribute);
            BinaryPrimitives.WriteUInt32BigEndian(at[4..], entries[i].Size);
            BinaryPrimitives.WriteUInt32BigEndian(at[8..], entries[i].Offset);
            // Dependent image entry numbers 1 and 2: none.
        }

        return payload;

        static void WriteTag(Span<byte> at, ushort id, ushort type, uint count, ReadOnlySpan<byte> value)
        {
            BinaryPrimitives.WriteUInt16BigEndian(at, id);
            BinaryPrimitives.WriteUInt16BigEndian(at[2..], type);
            BinaryPrimitives.WriteUInt32BigEndian(at[4..], count);
            value.CopyTo(at[8..]);
        }

        static byte[] BigEndian(uint value)
        {
            var bytes = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
            return bytes;
        }
    }
}
