using System.Buffers.Binary;

namespace TurnLivePhotos.Media.Heif;

/// <summary>Reads big-endian fields from one box's body; reading past the box's end throws <see cref="HeifFormatException"/>.</summary>
internal sealed class BoxCursor(byte[] data, IsoBox box)
{
    private long at = box.BodyStart;

    public long Position => at;

    public long Remaining => box.End - at;

    public byte U8() => Take(1)[0];

    public ushort U16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

    public uint U32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    /// <summary>An unsigned field of 0, 2, 4 or 8 bytes (0 reads as 0).</summary>
    public ulong Sized(int bytes) => bytes switch
    {
        0 => 0,
        2 => U16(),
        4 => U32(),
        8 => BinaryPrimitives.ReadUInt64BigEndian(Take(8)),
        _ => throw new HeifFormatException($"'{box.Type}' uses a {bytes}-byte field, which ISO/IEC 14496-12 does not allow"),
    };

    /// <summary>A full box's version and flags (ISO/IEC 14496-12 §4.2).</summary>
    public (byte Version, uint Flags) FullBoxHeader()
    {
        var word = U32();
        return ((byte)(word >> 24), word & 0xFFFFFF);
    }

    /// <summary>A NUL-terminated string (the NUL is consumed); without one, the rest of the box.</summary>
    public string NulTerminated()
    {
        var rest = data.AsSpan((int)at, (int)Remaining);
        var end = rest.IndexOf((byte)0);
        var text = System.Text.Encoding.UTF8.GetString(end < 0 ? rest : rest[..end]);
        at += end < 0 ? rest.Length : end + 1;
        return text;
    }

    public ReadOnlySpan<byte> Take(int count)
    {
        if (count > Remaining)
        {
            throw new HeifFormatException($"the '{box.Type}' box at byte {box.Start} ends in the middle of a field");
        }

        var span = data.AsSpan((int)at, count);
        at += count;
        return span;
    }
}
