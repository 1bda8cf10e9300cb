using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using TurnLivePhotos.Media.Jpeg;

namespace TurnLivePhotos.Tests.Media;

/// <summary>
/// Generators of hostile metadata for the hostile-input tests: nested XMP, Extended XMP chunks, TIFF (Exif)
/// structures with loops and overflowing offsets, ISO base media boxes of absurd sizes. Each is laid out byte by
/// byte here, independently of the program's writers, so a test says exactly what the attacker sends.
/// </summary>
internal static class HostileMetadata
{
    private const string ExtensionSignature = "http://ns.adobe.com/xmp/extension/\0";

    /// <summary>An XMP packet whose one property nests <paramref name="depth"/> structs (rdf:parseType="Resource") around a leaf.</summary>
    public static string NestedXmp(int depth, string extraAttributes = "")
    {
        var text = new StringBuilder("""<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">""");
        text.Append($"""<rdf:Description rdf:about="" xmlns:a="http://example.com/a/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="Hostile"{extraAttributes}>""");
        for (var i = 0; i < depth; i++)
        {
            text.Append("""<a:n rdf:parseType="Resource">""");
        }

        text.Append("<a:leaf>deep</a:leaf>");
        for (var i = 0; i < depth; i++)
        {
            text.Append("</a:n>");
        }

        return text.Append("</rdf:Description></rdf:RDF></x:xmpmeta>").ToString();
    }

    /// <summary>The deepest <see cref="NestedXmp"/> whose packet still fits one JPEG APP1 segment.</summary>
    public static int DeepestStandardNesting => (65_502 - NestedXmp(0).Length) / (NestedXmp(1).Length - NestedXmp(0).Length);

    /// <summary><paramref name="jpeg"/> with its XMP replaced by <paramref name="packet"/> in a standard APP1.</summary>
    public static byte[] WithXmp(byte[] jpeg, string packet) => WithSegments(jpeg, StandardXmp(packet));

    /// <summary>
    /// <paramref name="jpeg"/> with a standard packet announcing Extended XMP (xmpNote:HasExtendedXMP = the MD5 of
    /// <paramref name="extended"/>) and the extension in APP1 chunks of at most 65,458 bytes (Adobe XMP part 3, 1.1.3.1).
    /// </summary>
    public static byte[] WithExtendedXmp(byte[] jpeg, string extended)
    {
        var bytes = Encoding.UTF8.GetBytes(extended);
        var guid = Convert.ToHexString(MD5.HashData(bytes));
        var main = $"""<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:xmpNote="http://ns.adobe.com/xmp/note/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmpNote:HasExtendedXMP="{guid}" xmp:CreatorTool="Hostile"/></rdf:RDF></x:xmpmeta>""";
        var segments = new List<JpegSegment> { StandardXmp(main) };
        for (var offset = 0; offset < bytes.Length; offset += 65_458)
        {
            var chunk = bytes.AsSpan(offset, Math.Min(65_458, bytes.Length - offset));
            var payload = new byte[ExtensionSignature.Length + 40 + chunk.Length];
            Encoding.ASCII.GetBytes(ExtensionSignature + guid).CopyTo(payload, 0);
            BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(ExtensionSignature.Length + 32), (uint)bytes.Length);
            BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(ExtensionSignature.Length + 36), (uint)offset);
            chunk.CopyTo(payload.AsSpan(ExtensionSignature.Length + 40));
            segments.Add(new JpegSegment(0xE1, payload));
        }

        return WithSegments(jpeg, [.. segments]);
    }

    /// <summary><paramref name="jpeg"/> with its Exif and XMP replaced by <paramref name="segments"/>, right after SOI.</summary>
    public static byte[] WithSegments(byte[] jpeg, params JpegSegment[] segments)
    {
        var file = JpegFile.Parse(jpeg);
        file.Segments.RemoveAll(s => s.IsExif || s.IsXmp);
        file.Segments.InsertRange(0, segments);
        return file.ToArray();
    }

    public static JpegSegment StandardXmp(string packet) => new(0xE1, [.. "http://ns.adobe.com/xap/1.0/\0"u8, .. Encoding.UTF8.GetBytes(packet)]);

    /// <summary>
    /// A big-endian Exif TIFF: IFD0 at 8 (Make "Hostile" at 100, the Exif and GPS pointers, then the next-IFD
    /// offset), the Exif IFD at 50 (DateTimeOriginal at 120), the GPS IFD at 68 (GPSLatitudeRef "N"), and an IFD1
    /// at 140 with a thumbnail offset and length. Every pointer, the IFD0 entry count and the thumbnail can be set
    /// to anything, however wrong.
    /// </summary>
    public static byte[] Tiff(uint exifPointer = 50, uint gpsPointer = 68, uint nextIfd = 0, ushort ifd0Count = 3, uint thumbnailOffset = 0, uint thumbnailLength = 0)
    {
        var tiff = new byte[180];
        "MM\0*"u8.CopyTo(tiff);
        U32(tiff, 4, 8);
        U16(tiff, 8, ifd0Count);
        Entry(tiff, 10, 0x010F, 2, 8, 100);          // Make
        Entry(tiff, 22, 0x8769, 4, 1, exifPointer);  // ExifIFDPointer
        Entry(tiff, 34, 0x8825, 4, 1, gpsPointer);   // GPSInfoIFDPointer
        U32(tiff, 46, nextIfd);
        U16(tiff, 50, 1);
        Entry(tiff, 52, 0x9003, 2, 20, 120);         // DateTimeOriginal
        U16(tiff, 68, 1);
        Entry(tiff, 70, 0x0001, 2, 2, 0x4E000000);   // GPSLatitudeRef "N"
        "Hostile\0"u8.CopyTo(tiff.AsSpan(100));
        "2024:05:01 12:00:00\0"u8.CopyTo(tiff.AsSpan(120));
        U16(tiff, 140, 2);
        Entry(tiff, 142, 0x0201, 4, 1, thumbnailOffset); // JPEGInterchangeFormat
        Entry(tiff, 154, 0x0202, 4, 1, thumbnailLength); // JPEGInterchangeFormatLength
        return tiff;
    }

    /// <summary>
    /// A big-endian Exif TIFF whose IFD0 has <paramref name="entries"/> UNDEFINED entries that all point at the same
    /// <paramref name="valueBytes"/>-byte value: a segment of ~64 KB that a reader copying every value would turn
    /// into entries × value bytes.
    /// </summary>
    public static byte[] OverlappingValuesTiff(int entries, int valueBytes)
    {
        var valueAt = 8 + 2 + (12 * entries) + 4;
        var tiff = new byte[valueAt + valueBytes];
        "MM\0*"u8.CopyTo(tiff);
        U32(tiff, 4, 8);
        U16(tiff, 8, (ushort)entries);
        for (var i = 0; i < entries; i++)
        {
            Entry(tiff, 10 + (12 * i), (ushort)(0xC000 + i), 7, (uint)valueBytes, (uint)valueAt);
        }

        return tiff;
    }

    public static JpegSegment Exif(byte[] tiff) => new(0xE1, [.. "Exif\0\0"u8, .. tiff]);

    /// <summary>An ISO base media box header: 32-bit size (1: a 64-bit size follows) and type.</summary>
    public static byte[] Box(string type, uint size, ulong? largeSize = null)
    {
        var header = new byte[largeSize is null ? 8 : 16];
        U32(header, 0, size);
        Encoding.ASCII.GetBytes(type).CopyTo(header, 4);
        if (largeSize is { } large)
        {
            BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(8), large);
        }

        return header;
    }

    /// <summary>A box with its payload, size computed.</summary>
    public static byte[] Box(string type, params byte[][] payload)
    {
        var body = payload.SelectMany(p => p).ToArray();
        return [.. Box(type, (uint)(8 + body.Length)), .. body];
    }

    /// <summary><paramref name="depth"/> boxes of <paramref name="type"/>, each the only child of the one before.</summary>
    public static byte[] NestedBoxes(string type, int depth)
    {
        var nested = new byte[8 * depth];
        for (var level = 0; level < depth; level++)
        {
            U32(nested, 8 * level, (uint)(8 * (depth - level)));
            Encoding.ASCII.GetBytes(type).CopyTo(nested, (8 * level) + 4);
        }

        return nested;
    }

    private static void Entry(byte[] tiff, int at, ushort tag, ushort type, uint count, uint value)
    {
        U16(tiff, at, tag);
        U16(tiff, at + 2, type);
        U32(tiff, at + 4, count);
        U32(tiff, at + 8, value);
    }

    private static void U16(byte[] bytes, int at, ushort value) => BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(at), value);

    private static void U32(byte[] bytes, int at, uint value) => BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(at), value);
}
