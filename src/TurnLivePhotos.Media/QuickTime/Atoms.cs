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
    /// <summary>The most children one atom may list (a movie's moov has a few dozen).</summary>
    public const int MaxChildren = 100_000;

    /// <summary>
    /// The atoms between <paramref name="start"/> and <paramref name="end"/>, one level deep (ISO/IEC 14496-12 4.2:
    /// size 1 means a 64-bit size follows the type, size 0 means "to the end of the parent"). Every size is checked
    /// against what is left of the parent before it is added, so no size — however large — wraps an offset; a size
    /// smaller than its header, one past the parent, or more than <see cref="MaxChildren"/> children is a
    /// <see cref="FormatException"/>. Each atom moves the walk forward by at least its header, so it ends.
    /// </summary>
    public static List<AtomSpan> Children(byte[] data, long start, long end)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (start < 0 || end > data.Length || start > end)
        {
            throw new FormatException($"QuickTime atom range {start}..{end} lies outside the {data.Length} bytes given");
        }

        var atoms = new List<AtomSpan>();
        var position = start;
        while (end - position >= 8)
        {
            long size = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan((int)position));
            var type = Encoding.ASCII.GetString(data, (int)position + 4, 4);
            long header = 8;
            if (size == 1)
            {
                if (end - position < 16)
                {
                    throw new FormatException($"QuickTime atom '{type}' at {position} is cut short inside its 64-bit size");
                }

                var large = BinaryPrimitives.ReadUInt64BigEndian(data.AsSpan((int)position + 8));
                size = large > (ulong)(end - position) ? -1 : (long)large;
                header = 16;
            }
            else if (size == 0)
            {
                size = end - position;
            }

            if (size < header || size > end - position)
            {
                throw new FormatException($"QuickTime atom '{type}' at {position} runs past its parent");
            }

            if (atoms.Count == MaxChildren)
            {
                throw new FormatException($"QuickTime atom range {start}..{end} holds more than {MaxChildren} atoms");
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
