using System.Buffers.Binary;

namespace TurnLivePhotos.Media.Jpeg;

/// <summary>
/// An ICC profile as a JPEG carries it (ICC.1:2010 Annex B.4): APP2 segments of "ICC_PROFILE\0", a 1-based sequence
/// number, the number of chunks, then that chunk of the profile. A still kept byte for byte passes the chunks on
/// untouched for every gallery to reassemble, so they are checked here first: one count shared by all, each
/// sequence number from 1 to that count exactly once, and a profile at least as long as its header says. The
/// one-byte count bounds the whole at 255 chunks of at most 65,519 bytes.
/// </summary>
public static class IccProfileSegments
{
    public static readonly byte[] Signature = "ICC_PROFILE\0"u8.ToArray();

    private const int HeaderLength = 14; // signature, sequence number, count
    private const int ProfileHeaderLength = 128;

    public static bool IsChunk(JpegSegment segment) => segment.Marker == 0xE2 && segment.Payload.AsSpan().StartsWith(Signature);

    /// <summary>Removes every ICC chunk of <paramref name="jpeg"/> when together they are not one profile, and says why.</summary>
    public static IReadOnlyList<MetadataNote> DropInconsistent(JpegFile jpeg)
    {
        ArgumentNullException.ThrowIfNull(jpeg);
        var chunks = jpeg.Segments.Where(IsChunk).ToList();
        if (chunks.Count == 0 || Problem(chunks) is not { } problem)
        {
            return [];
        }

        jpeg.Segments.RemoveAll(IsChunk);
        return [new MetadataNote(MetadataPart.IccProfile, $"dropped: {problem}")];
    }

    private static string? Problem(List<JpegSegment> chunks)
    {
        if (chunks.Exists(chunk => chunk.Payload.Length < HeaderLength))
        {
            return "a chunk is cut short";
        }

        int count = chunks[0].Payload[13];
        if (count == 0 || chunks.Exists(chunk => chunk.Payload[13] != count))
        {
            return "its chunks disagree on how many there are";
        }

        var seen = new bool[count + 1];
        foreach (var chunk in chunks)
        {
            int sequence = chunk.Payload[12];
            if (sequence == 0 || sequence > count || seen[sequence])
            {
                return $"sequence number {sequence} is out of 1..{count} or repeated";
            }

            seen[sequence] = true;
        }

        if (chunks.Count != count)
        {
            return $"{count - chunks.Count} of its {count} chunks are missing";
        }

        var first = chunks.Find(chunk => chunk.Payload[12] == 1)!;
        var length = chunks.Sum(chunk => (long)chunk.Payload.Length - HeaderLength);
        var declared = first.Payload.Length >= HeaderLength + 4 ? BinaryPrimitives.ReadUInt32BigEndian(first.Payload.AsSpan(HeaderLength)) : 0;
        return length < ProfileHeaderLength || declared < ProfileHeaderLength || declared > length
            ? $"its header says {declared} bytes, its chunks hold {length}"
            : null;
    }
}
