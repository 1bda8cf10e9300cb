using System.Buffers.Binary;
using System.Text;

namespace TurnLivePhotos.Media.Jpeg;

/// <summary>A JPEG marker segment before the image data: marker byte (0xE1 for APP1…) and its payload.</summary>
public sealed record JpegSegment(byte Marker, byte[] Payload)
{
    public static readonly byte[] ExifHeader = "Exif\0\0"u8.ToArray();
    public static readonly byte[] XmpHeader = "http://ns.adobe.com/xap/1.0/\0"u8.ToArray();

    public bool IsExif => Marker == 0xE1 && Payload.AsSpan().StartsWith(ExifHeader);

    public bool IsXmp => Marker == 0xE1 && Payload.AsSpan().StartsWith(XmpHeader);

    public static JpegSegment Xmp(string packet) => new(0xE1, [.. XmpHeader, .. Encoding.UTF8.GetBytes(packet)]);

    public static JpegSegment Exif(byte[] tiff) => new(0xE1, [.. ExifHeader, .. tiff]);
}

/// <summary>
/// A JPEG taken apart at the byte level: the marker segments before the first scan, and the rest (scan data up to
/// and including EOI) kept verbatim, so metadata can change without re-encoding a single pixel. Anything after EOI
/// (an old motion-photo video, a Samsung trailer) is dropped.
/// </summary>
public sealed class JpegFile
{
    private readonly Dictionary<JpegSegment, int> sourceOffsets;

    private JpegFile(List<JpegSegment> segments, byte[] imageData, Dictionary<JpegSegment, int> sourceOffsets)
    {
        Segments = segments;
        ImageData = imageData;
        this.sourceOffsets = sourceOffsets;
    }

    /// <summary>Segments between SOI and the first SOS, in file order.</summary>
    public List<JpegSegment> Segments { get; }

    /// <summary>From the first SOS marker through EOI.</summary>
    public byte[] ImageData { get; }

    /// <summary>Bytes from SOI through EOI in the parsed file (what follows, such as a gain map or a video, is not part of it).</summary>
    public int SourceLength { get; private init; }

    /// <summary>
    /// Where <paramref name="segment"/> (this very object, as parsed) started in the parsed bytes — the position of its
    /// 0xFF marker byte; null for a segment added or replaced since. Offsets inside a segment that count from its own
    /// position (an MPF index) are resolved against the source file with it.
    /// </summary>
    public int? SourceOffsetOf(JpegSegment segment) => sourceOffsets.TryGetValue(segment, out var offset) ? offset : null;

    public static JpegFile Parse(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length < 4 || bytes[0] != 0xFF || bytes[1] != 0xD8)
        {
            throw new FormatException("not a JPEG (no SOI marker)");
        }

        var segments = new List<JpegSegment>();
        var offsets = new Dictionary<JpegSegment, int>(ReferenceEqualityComparer.Instance);
        var position = 2;
        while (true)
        {
            var (marker, start) = NextMarker(bytes, position);
            if (marker == 0xDA)
            {
                var end = EndOfImage(bytes, start);
                return new JpegFile(segments, bytes[start..end], offsets) { SourceLength = end };
            }

            if (marker == 0xD9)
            {
                throw new FormatException("JPEG ends before any image data");
            }

            var length = SegmentLength(bytes, start);
            var segment = new JpegSegment(marker, bytes[(start + 4)..(start + 2 + length)]);
            segments.Add(segment);
            offsets[segment] = start;
            position = start + 2 + length;
        }
    }

    public byte[] ToArray()
    {
        using var stream = new MemoryStream();
        stream.Write([0xFF, 0xD8]);
        Span<byte> length = stackalloc byte[2];
        foreach (var segment in Segments)
        {
            if (segment.Payload.Length + 2 > ushort.MaxValue)
            {
                throw new InvalidOperationException($"a JPEG segment holds at most {ushort.MaxValue - 2} bytes, this one {segment.Payload.Length}");
            }

            stream.Write([0xFF, segment.Marker]);
            BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)(segment.Payload.Length + 2));
            stream.Write(length);
            stream.Write(segment.Payload);
        }

        stream.Write(ImageData);
        return stream.ToArray();
    }

    /// <summary>Where a new metadata segment goes: after APP0 (JFIF) and the Exif APP1, as cameras write them.</summary>
    public int MetadataInsertIndex()
    {
        var index = 0;
        while (index < Segments.Count && (Segments[index].Marker == 0xE0 || Segments[index].IsExif))
        {
            index++;
        }

        return index;
    }

    private static (byte Marker, int Start) NextMarker(byte[] bytes, int position)
    {
        while (position + 1 < bytes.Length)
        {
            if (bytes[position] == 0xFF && bytes[position + 1] is not (0xFF or 0x00))
            {
                return (bytes[position + 1], position);
            }

            position++;
        }

        throw new FormatException("JPEG is cut short (no image data)");
    }

    private static int SegmentLength(byte[] bytes, int start)
    {
        if (start + 4 > bytes.Length)
        {
            throw new FormatException("JPEG is cut short inside a segment header");
        }

        var length = BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(start + 2));
        if (length < 2 || start + 2 + length > bytes.Length)
        {
            throw new FormatException("JPEG segment length runs past the end of the file");
        }

        return length;
    }

    /// <summary>Walks scans (entropy data with stuffed bytes and RST markers) and the segments between them to EOI.</summary>
    private static int EndOfImage(byte[] bytes, int sos)
    {
        var position = sos + 2 + SegmentLength(bytes, sos);
        while (position + 1 < bytes.Length)
        {
            if (bytes[position] != 0xFF)
            {
                // Entropy-coded data: jump to the next 0xFF with a vectorized search (a 12-MP photo's scan is
                // megabytes, and a Live Photo parses its still several times, so a byte-by-byte walk would show).
                var next = bytes.AsSpan(position).IndexOf((byte)0xFF);
                if (next < 0)
                {
                    break;
                }

                position += next;
                continue;
            }

            var marker = bytes[position + 1];
            if (marker == 0x00 || marker == 0xFF || (marker >= 0xD0 && marker <= 0xD7))
            {
                position += marker == 0xFF ? 1 : 2;
                continue;
            }

            if (marker == 0xD9)
            {
                return position + 2;
            }

            position += 2 + SegmentLength(bytes, position);
        }

        throw new FormatException("JPEG has no end-of-image marker");
    }
}
