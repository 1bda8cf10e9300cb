using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ImageMagick;

namespace TurnLivePhotos.Tests.Support;

/// <summary>One hostile input: what it is, the class it belongs to (for the tally), and its bytes.</summary>
public sealed record HostileFile(string Name, string Class, byte[] Bytes);

/// <summary>
/// Makes the files a stranger could upload to hurt the server, each from a few lines of code rather than a stored
/// blob: pixel bombs in every accepted format (a header declaring far more pixels than the bytes hold), metadata
/// that nests, loops or points past its end (XMP, Extended XMP, Exif IFDs, MPF, ICC), and random mutations of real
/// encoder output.
/// </summary>
public static class HostileFiles
{
    private const string XmpSignature = "http://ns.adobe.com/xap/1.0/\0";
    private const string ExtendedXmpSignature = "http://ns.adobe.com/xmp/extension/\0";
    private static readonly string[] MutationNames = ["flipped", "cut", "repeated", "zeroed"];

    /// <summary>A header per format declaring an image far beyond any limit, with a few bytes of data.</summary>
    public static IEnumerable<HostileFile> PixelBombs()
    {
        yield return new("png 1x100000000", "pixel bomb", TestPhotos.PngDeclaring(1, 100_000_000));
        yield return new("png 100000x1", "pixel bomb", TestPhotos.PngDeclaring(100_000, 1));
        yield return new("png 60000x60000", "pixel bomb", TestPhotos.PngDeclaring(60_000, 60_000));
        yield return new("jpeg 30000x30000", "pixel bomb", JpegDeclaring(30_000, 30_000));
        yield return new("jpeg 65000x1", "pixel bomb", JpegDeclaring(65_000, 1));
        yield return new("gif 65535x65535", "pixel bomb", GifDeclaring(65_535, 65_535));
        yield return new("bmp 100000x100000", "pixel bomb", BmpDeclaring(100_000, 100_000));
        yield return new("webp 16384x16384", "pixel bomb", WebPDeclaring(16_384, 16_384));
        yield return new("tiff 100000x100000", "pixel bomb", TiffDeclaring(100_000, 100_000));
        if (ExternalTools.Find("heif-enc") is not null)
        {
            yield return new("heic 60000x60000", "pixel bomb", HeicDeclaring(60_000, 60_000));
        }
    }

    /// <summary>
    /// Metadata built to crash, hang or exhaust a parser, on an otherwise ordinary small JPEG; laid out by
    /// <see cref="HostileMetadata"/> (XMP, Exif) and here (MPF, ICC, entities).
    /// </summary>
    public static IEnumerable<HostileFile> Metadata()
    {
        var photo = TestPhotos.Scene(64, 48);
        yield return new("xmp nested 40 levels", "xmp", HostileMetadata.WithXmp(photo, HostileMetadata.NestedXmp(40)));
        yield return new("xmp nested as deep as one segment holds", "xmp", HostileMetadata.WithXmp(photo, HostileMetadata.NestedXmp(HostileMetadata.DeepestStandardNesting)));
        yield return new("extended xmp nested 20000 levels", "xmp", HostileMetadata.WithExtendedXmp(photo, HostileMetadata.NestedXmp(20_000)));
        yield return new("xmp billion laughs", "xmp", HostileMetadata.WithXmp(photo, BillionLaughs()));
        yield return new("xmp external entity", "xmp", HostileMetadata.WithXmp(photo, ExternalEntity()));
        yield return new("xmp not xml", "xmp", HostileMetadata.WithXmp(photo, "<x:xmpmeta <<<"));
        yield return new("exif ifd0 is its own next ifd", "exif", WithExif(photo, HostileMetadata.Tiff(nextIfd: 8)));
        yield return new("exif sub-ifd is its parent", "exif", WithExif(photo, HostileMetadata.Tiff(exifPointer: 8)));
        yield return new("exif gps ifd is the exif ifd", "exif", WithExif(photo, HostileMetadata.Tiff(gpsPointer: 50)));
        yield return new("exif pointer overflows", "exif", WithExif(photo, HostileMetadata.Tiff(exifPointer: 0xFFFF_FFF0)));
        yield return new("exif thumbnail past the end", "exif", WithExif(photo, HostileMetadata.Tiff(nextIfd: 140, thumbnailOffset: 0xFFFF_FFF0, thumbnailLength: 0x20)));
        yield return new("exif 65535 entries past the end", "exif", WithExif(photo, HostileMetadata.Tiff(ifd0Count: 0xFFFF)));
        yield return new("exif 5000 entries sharing one value", "exif", WithExif(photo, HostileMetadata.OverlappingValuesTiff(5000, 4096)));
        yield return new("mpf entries past the end", "mpf", HostileMetadata.WithSegments(photo, Mpf(entryOffset: 0x7FFF_FFF0, entrySize: 0x7FFF_FFFF, images: 2)));
        yield return new("mpf 65535 images", "mpf", HostileMetadata.WithSegments(photo, Mpf(entryOffset: 0, entrySize: 16, images: 65_535)));
        yield return new("icc 255 chunks announced, one given", "icc", HostileMetadata.WithSegments(photo, Icc(sequence: 1, count: 255, new byte[1000])));
        yield return new("icc chunk number 0", "icc", HostileMetadata.WithSegments(photo, Icc(sequence: 0, count: 0, new byte[100])));
    }

    /// <summary>
    /// <paramref name="count"/> mutations of <paramref name="original"/>: bytes flipped, cut short, a range repeated or
    /// zeroed; the same <paramref name="seed"/> makes the same files.
    /// </summary>
    public static IEnumerable<HostileFile> Mutations(string kind, byte[] original, int count, int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var bytes = (byte[])original.Clone();
            var how = random.Next(4);
            switch (how)
            {
                case 0:
                    for (var flips = random.Next(1, 24); flips > 0; flips--)
                    {
                        bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                    }

                    break;
                case 1:
                    bytes = bytes[..random.Next(8, bytes.Length)];
                    break;
                case 2:
                    var start = random.Next(bytes.Length);
                    var length = random.Next(1, Math.Min(4096, bytes.Length - start) + 1);
                    bytes = [.. bytes[..(start + length)], .. bytes[start..(start + length)], .. bytes[(start + length)..]];
                    break;
                default:
                    var from = random.Next(bytes.Length);
                    bytes.AsSpan(from, random.Next(1, Math.Min(512, bytes.Length - from) + 1)).Clear();
                    break;
            }

            yield return new(string.Create(CultureInfo.InvariantCulture, $"{kind} mutation {i} ({MutationNames[how]})"), $"mutated {kind}", bytes);
        }
    }

    /// <summary>A small HEIC made by libheif's heif-enc, as phones' files are made by their encoders.</summary>
    public static byte[] Heic(int width, int height)
    {
        using var folder = new TempFolder();
        var png = folder.Write("in.png", TestPhotos.Scene(width, height, MagickFormat.Png));
        var heic = folder["out.heic"];
        var (exit, _, errors) = ExternalTools.Run("heif-enc", "-q", "60", "-o", heic, png);
        return exit == 0 ? File.ReadAllBytes(heic) : throw new InvalidOperationException("heif-enc failed: " + errors);
    }

    /// <summary>A real JPEG whose frame header (SOFn) is rewritten to declare <paramref name="width"/>×<paramref name="height"/>.</summary>
    public static byte[] JpegDeclaring(ushort width, ushort height)
    {
        var bytes = TestPhotos.Scene(32, 24);
        for (var at = 2; at + 9 < bytes.Length;)
        {
            var marker = bytes[at + 1];
            var length = BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(at + 2));
            if (marker is >= 0xC0 and <= 0xC3)
            {
                BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(at + 5), height);
                BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(at + 7), width);
                return bytes;
            }

            at += 2 + length;
        }

        throw new InvalidOperationException("no frame header in the JPEG");
    }

    public static byte[] GifDeclaring(ushort width, ushort height)
    {
        using var stream = new MemoryStream();
        stream.Write("GIF89a"u8);
        WriteLittle16(stream, width);
        WriteLittle16(stream, height);
        stream.Write([0x80, 0, 0, 0, 0, 0, 255, 255, 255]); // global colour table of 2 entries
        stream.WriteByte(0x2C);
        WriteLittle16(stream, 0);
        WriteLittle16(stream, 0);
        WriteLittle16(stream, width);
        WriteLittle16(stream, height);
        stream.Write([0, 2, 2, 0x4C, 0x01, 0, 0x3B]);
        return stream.ToArray();
    }

    public static byte[] BmpDeclaring(int width, int height)
    {
        var bytes = new byte[54 + 64];
        "BM"u8.CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(2), bytes.Length);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(10), 54);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(22), height);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(28), 24);
        return bytes;
    }

    /// <summary>The extended WebP header (VP8X) with a canvas of <paramref name="width"/>×<paramref name="height"/> and no image data.</summary>
    public static byte[] WebPDeclaring(int width, int height)
    {
        var chunk = new byte[10];
        WriteLittle24(chunk.AsSpan(4), width - 1);
        WriteLittle24(chunk.AsSpan(7), height - 1);
        var body = Concat("WEBP"u8.ToArray(), "VP8X"u8.ToArray(), Little32(chunk.Length), chunk);
        return Concat("RIFF"u8.ToArray(), Little32(body.Length), body);
    }

    /// <summary>A baseline TIFF (one grey strip of 16 bytes) declaring <paramref name="width"/>×<paramref name="height"/>.</summary>
    public static byte[] TiffDeclaring(uint width, uint height)
    {
        var entries = new (ushort Tag, ushort Type, uint Value)[]
        {
            (256, 4, width), (257, 4, height), (258, 3, 8), (259, 3, 1), (262, 3, 1), (273, 4, 0), (277, 3, 1), (278, 4, height), (279, 4, 16),
        };
        var ifdLength = 2 + (entries.Length * 12) + 4;
        var dataOffset = (uint)(8 + ifdLength);
        var bytes = new byte[dataOffset + 16];
        "II*\0"u8.CopyTo(bytes);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), 8);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)entries.Length);
        for (var i = 0; i < entries.Length; i++)
        {
            var at = 10 + (i * 12);
            var (tag, type, value) = entries[i];
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(at), tag);
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(at + 2), type);
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at + 4), 1);
            var stored = tag == 273 ? dataOffset : value;
            if (type == 3)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(at + 8), (ushort)stored);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at + 8), stored);
            }
        }

        return bytes;
    }

    /// <summary>A real HEIC whose every image spatial extent (<c>ispe</c>, ISO/IEC 23008-12 6.5.3) declares <paramref name="width"/>×<paramref name="height"/>.</summary>
    public static byte[] HeicDeclaring(uint width, uint height)
    {
        var bytes = Heic(64, 48);
        var found = false;
        for (var at = bytes.AsSpan().IndexOf("ispe"u8); at >= 0;)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(at + 8), width);
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(at + 12), height);
            found = true;
            var next = bytes.AsSpan(at + 4).IndexOf("ispe"u8);
            at = next < 0 ? -1 : at + 4 + next;
        }

        return found ? bytes : throw new InvalidOperationException("no ispe box in heif-enc's output");
    }

    /// <summary>Nine levels of entities, each three of the one before: 3^9 "ha"s from a few hundred bytes.</summary>
    private static string BillionLaughs()
    {
        var entities = new StringBuilder("<!DOCTYPE x [<!ENTITY a0 \"ha\">");
        for (var i = 1; i < 10; i++)
        {
            entities.Append(CultureInfo.InvariantCulture, $"<!ENTITY a{i} \"&a{i - 1};&a{i - 1};&a{i - 1};\">");
        }

        entities.Append("]>");
        return entities + ("<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description rdf:about=\"\" xmlns:e=\"http://example.com/e/\" e:v=\"&a9;\"/></rdf:RDF></x:xmpmeta>");
    }

    private static string ExternalEntity() => (
        "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">" +
        "<rdf:Description rdf:about=\"\" xmlns:e=\"http://example.com/e/\" e:v=\"&e;\"/></rdf:RDF></x:xmpmeta>");

    /// <summary>An MPF APP2 segment (CIPA DC-007): version, number of images, and MP entries with the given offset and size.</summary>
    private static JpegSegment Mpf(uint entryOffset, uint entrySize, int images)
    {
        var entries = new byte[Math.Min(images, 2) * 16];
        for (var i = 0; i < entries.Length / 16; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(entries.AsSpan(i * 16), i == 0 ? 0x030000u : 0);
            BinaryPrimitives.WriteUInt32BigEndian(entries.AsSpan((i * 16) + 4), entrySize);
            BinaryPrimitives.WriteUInt32BigEndian(entries.AsSpan((i * 16) + 8), i == 0 ? 0 : entryOffset);
        }

        const int ifdLength = 2 + (3 * 12) + 4;
        var tiff = new byte[8 + ifdLength + entries.Length];
        "MM\0*"u8.CopyTo(tiff);
        BinaryPrimitives.WriteUInt32BigEndian(tiff.AsSpan(4), 8);
        BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(8), 3);
        WriteBigEntry(tiff.AsSpan(10), 0xB000, 7, 4, BinaryPrimitives.ReadUInt32BigEndian("0100"u8));
        WriteBigEntry(tiff.AsSpan(22), 0xB001, 4, 1, (uint)images);
        WriteBigEntry(tiff.AsSpan(34), 0xB002, 7, (uint)(images * 16), 8 + ifdLength);
        entries.CopyTo(tiff.AsSpan(8 + ifdLength));
        return new JpegSegment(0xE2, Concat("MPF\0"u8.ToArray(), tiff));
    }

    private static JpegSegment Icc(byte sequence, byte count, byte[] data) => new(0xE2, Concat("ICC_PROFILE\0"u8.ToArray(), [sequence, count], data));

    private static byte[] WithExif(byte[] jpeg, byte[] tiff) => HostileMetadata.WithSegments(jpeg, HostileMetadata.Exif(tiff));

    private static void WriteBigEntry(Span<byte> at, ushort tag, ushort type, uint count, uint value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(at, tag);
        BinaryPrimitives.WriteUInt16BigEndian(at[2..], type);
        BinaryPrimitives.WriteUInt32BigEndian(at[4..], count);
        BinaryPrimitives.WriteUInt32BigEndian(at[8..], value);
    }

    private static void WriteLittle16(Stream stream, ushort value)
    {
        stream.WriteByte((byte)value);
        stream.WriteByte((byte)(value >> 8));
    }

    private static void WriteLittle24(Span<byte> at, int value)
    {
        at[0] = (byte)value;
        at[1] = (byte)(value >> 8);
        at[2] = (byte)(value >> 16);
    }

    private static byte[] Little32(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        return bytes;
    }

    private static byte[] Big32(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }

    private static byte[] Big16(int value) => [(byte)(value >> 8), (byte)value];

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(part => part)];

    /// <summary>Little-endian TIFF ("II") with IFDs laid one after another from offset 8; values of up to 4 bytes inline.</summary>
    private sealed class TiffBuilder
    {
        private readonly List<byte> bytes = [.. "II*\0"u8.ToArray(), 8, 0, 0, 0];

        public TiffBuilder Ifd(IReadOnlyList<(ushort Tag, ushort Type, uint Count, byte[] Value)> entries, uint next)
        {
            var ifd = new byte[2 + (entries.Count * 12) + 4];
            BinaryPrimitives.WriteUInt16LittleEndian(ifd, (ushort)entries.Count);
            for (var i = 0; i < entries.Count; i++)
            {
                var at = 2 + (i * 12);
                BinaryPrimitives.WriteUInt16LittleEndian(ifd.AsSpan(at), entries[i].Tag);
                BinaryPrimitives.WriteUInt16LittleEndian(ifd.AsSpan(at + 2), entries[i].Type);
                BinaryPrimitives.WriteUInt32LittleEndian(ifd.AsSpan(at + 4), entries[i].Count);
                entries[i].Value.AsSpan(0, Math.Min(4, entries[i].Value.Length)).CopyTo(ifd.AsSpan(at + 8));
            }

            BinaryPrimitives.WriteUInt32LittleEndian(ifd.AsSpan(ifd.Length - 4), next);
            bytes.AddRange(ifd);
            return this;
        }

        public byte[] ToArray() => [.. bytes];
    }
}
