using System.Buffers.Binary;
using System.Text;

namespace TurnLivePhotos.Media.QuickTime;

/// <summary>A QuickTime atom as found in a file: its type and where its payload lies.</summary>
public sealed record AtomSpan(string Type, long Start, long Size)
{
    public long HeaderSize { get; init; } = 8;

    public long PayloadStart => Start + HeaderSize;

    public long End => Start + Size;
}

/// <summary>Reads atom headers and builds new atoms (big-endian, 32-bit sizes).</summary>
public static class Atoms
{
    public static List<AtomSpan> Children(byte[] data, long start, long end)
    {
        var atoms = new List<AtomSpan>();
        var position = start;
        while (position + 8 <= end)
        {
            long size = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan((int)position));
            var type = Encoding.ASCII.GetString(data, (int)position + 4, 4);
            long header = 8;
            if (size == 1)
            {
                size = (long)BinaryPrimitives.ReadUInt64BigEndian(data.AsSpan((int)position + 8));
                header = 16;
            }
            else if (size == 0)
            {
                size = end - position;
            }

            if (size < header || position + size > end)
            {
                throw new FormatException($"QuickTime atom '{type}' at {position} runs past its parent");
            }

            atoms.Add(new AtomSpan(type, position, size) { HeaderSize = header });
            position += size;
        }

        return atoms;
    }

    public static byte[] Atom(string type, params byte[][] parts)
    {
        var length = 8 + parts.Sum(p => p.Length);
        var atom = new byte[length];
        BinaryPrimitives.WriteUInt32BigEndian(atom, (uint)length);
        Encoding.ASCII.GetBytes(type).CopyTo(atom, 4);
        var offset = 8;
        foreach (var part in parts)
        {
            part.CopyTo(atom, offset);
            offset += part.Length;
        }

        return atom;
    }

    /// <summary>A "full" atom: version and flags before the payload.</summary>
    public static byte[] FullAtom(string type, byte version, uint flags, params byte[][] parts) =>
        Atom(type, [.. new[] { VersionFlags(version, flags) }, .. parts]);

    public static byte[] VersionFlags(byte version, uint flags) => [version, (byte)(flags >> 16), (byte)(flags >> 8), (byte)flags];

    public static byte[] U16(ushort value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, value);
        return bytes;
    }

    public static byte[] U32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }

    public static byte[] I32(int value) => U32(unchecked((uint)value));

    public static byte[] Text(string text) => Encoding.ASCII.GetBytes(text);

    public static byte[] Zeros(int count) => new byte[count];

    /// <summary>The unity transformation matrix of tkhd/mvhd (16.16 and 2.30 fixed point).</summary>
    public static byte[] IdentityMatrix() =>
        [.. U32(0x00010000), .. U32(0), .. U32(0), .. U32(0), .. U32(0x00010000), .. U32(0), .. U32(0), .. U32(0), .. U32(0x40000000)];
}
