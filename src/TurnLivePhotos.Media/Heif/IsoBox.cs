using System.Buffers.Binary;
using System.Text;

namespace TurnLivePhotos.Media.Heif;

/// <summary>A HEIF file we do not read or edit: malformed, over a limit, or using a feature we do not carry over.</summary>
public sealed class HeifFormatException(string message) : Exception(message);

/// <summary>
/// One ISOBMFF box (ISO/IEC 14496-12 §4.2): its four-character type and where it lies in the file. Offsets are
/// absolute; <see cref="BodyStart"/> is past the size/type header (and the 64-bit size when there is one), not past
/// a full box's version and flags.
/// </summary>
public readonly record struct IsoBox(string Type, long Start, long BodyStart, long End)
{
    /// <summary>More boxes than this in one container are refused (an iPhone's meta holds a dozen).</summary>
    public const int MaxBoxesPerContainer = 4096;

    public long Size => End - Start;

    /// <summary>
    /// The boxes in <paramref name="data"/>[<paramref name="start"/>, <paramref name="end"/>) one after another, each
    /// checked to lie inside that range (size 0, "to the end", only where <paramref name="allowToEnd"/>). Throws
    /// <see cref="HeifFormatException"/> naming the box that does not fit.
    /// </summary>
    public static List<IsoBox> ReadAll(ReadOnlySpan<byte> data, long start, long end, string container, bool allowToEnd = false)
    {
        var boxes = new List<IsoBox>();
        var at = start;
        while (at < end)
        {
            if (boxes.Count == MaxBoxesPerContainer)
            {
                throw new HeifFormatException($"{container} holds more than {MaxBoxesPerContainer} boxes");
            }

            if (end - at < 8)
            {
                throw new HeifFormatException($"{container} ends inside a box header at byte {at}");
            }

            long size = BinaryPrimitives.ReadUInt32BigEndian(data[(int)at..]);
            var type = Encoding.Latin1.GetString(data.Slice((int)at + 4, 4));
            var header = 8L;
            if (size == 1)
            {
                if (end - at < 16)
                {
                    throw new HeifFormatException($"the '{type}' box at byte {at} ends inside its 64-bit size");
                }

                var large = BinaryPrimitives.ReadUInt64BigEndian(data[((int)at + 8)..]);
                size = large > long.MaxValue ? -1 : (long)large;
                header = 16;
            }
            else if (size == 0)
            {
                size = allowToEnd ? end - at : -1;
            }

            if (size < header || size > end - at)
            {
                throw new HeifFormatException($"the '{type}' box at byte {at} in {container} declares a size that does not fit ({size} bytes, {end - at} left)");
            }

            boxes.Add(new IsoBox(type, at, at + header, at + size));
            at += size;
        }

        return boxes;
    }
}
