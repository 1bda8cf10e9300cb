using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using TurnLivePhotos.Media.Decoding;
using TurnLivePhotos.Media.Jpeg;
using TurnLivePhotos.Tests.Media;

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
    private static readonly string[] MutationNames = ["flipped", "cut", "repeated", "zeroed"];

    /// <summary>A header per format declaring an image far beyond any limit (<see cref="Support.PixelBombs"/>), with a few bytes of data.</summary>
    public static IEnumerable<HostileFile> PixelBombs()
    {
        var sizes = new[] { (1, 100_000_000), (100_000, 1), (60_000, 60_000), (65_000, 1), (1, 65_000), (16_000, 16_000), (16_384, 16_384) };
        foreach (var format in Enum.GetValues<PhotoFormat>())
        {
            if (format is PhotoFormat.Heif or PhotoFormat.Avif && ExternalTools.Find("heif-enc") is null)
            {
                continue;
            }

            foreach (var (width, height) in sizes.Where(size => Support.PixelBombs.CanDeclare(format, size.Item1, size.Item2)))
            {
                yield return new(string.Create(CultureInfo.InvariantCulture, $"{format} {width}x{height}"), $"pixel bomb {format}", Support.PixelBombs.Declaring(format, width, height));
            }
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

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(part => part)];
}
