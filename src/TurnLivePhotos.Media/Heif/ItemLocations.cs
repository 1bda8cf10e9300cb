using System.Buffers.Binary;

namespace TurnLivePhotos.Media.Heif;

/// <summary>Where an item's bytes are (ISO/IEC 14496-12 §8.11.3 construction_method).</summary>
public enum ConstructionMethod
{
    /// <summary>0: offsets in the file (in practice, in mdat).</summary>
    FileOffset = 0,

    /// <summary>1: offsets in the meta box's idat (grid descriptors, tone-map items).</summary>
    IdatOffset = 1,

    /// <summary>2: offsets into other items; refused.</summary>
    ItemOffset = 2,
}

/// <summary>One extent: <see cref="Offset"/> already includes the item's base_offset.</summary>
public readonly record struct ItemExtent(long Offset, long Length);

/// <summary>One item's entry in iloc.</summary>
public sealed record ItemLocation(uint ItemId, ConstructionMethod Method, IReadOnlyList<ItemExtent> Extents);

/// <summary>
/// The iloc box (ISO/IEC 14496-12 §8.11.3), versions 0–2, read into absolute extents and written back with 4- or
/// 8-byte offsets and lengths and no base offsets. Items in other files (data_reference_index ≠ 0), construction
/// method 2 and extents of length 0 ("to the end of the data") are refused with a message naming the item.
/// </summary>
public static class ItemLocations
{
    /// <summary>More items are refused (an iPhone 48-MP photo has a few hundred tiles).</summary>
    public const int MaxItems = 65_535;

    /// <summary>More extents in one item are refused.</summary>
    public const int MaxExtentsPerItem = 4096;

    public static (byte Version, List<ItemLocation> Items) Read(byte[] data, IsoBox iloc)
    {
        var cursor = new BoxCursor(data, iloc);
        var (version, _) = cursor.FullBoxHeader();
        if (version > 2)
        {
            throw new HeifFormatException($"iloc version {version} is not one ISO/IEC 14496-12 defines (0–2)");
        }

        var sizes = cursor.U16();
        int offsetSize = sizes >> 12, lengthSize = (sizes >> 8) & 0xF, baseSize = (sizes >> 4) & 0xF;
        var indexSize = version is 1 or 2 ? sizes & 0xF : 0;
        foreach (var size in new[] { offsetSize, lengthSize, baseSize, indexSize })
        {
            if (size is not (0 or 4 or 8))
            {
                throw new HeifFormatException($"iloc declares a {size}-byte field; ISO/IEC 14496-12 allows 0, 4 or 8");
            }
        }

        var count = version < 2 ? cursor.U16() : cursor.U32();
        if (count > MaxItems)
        {
            throw new HeifFormatException($"iloc lists {count} items, over the limit of {MaxItems}");
        }

        var items = new List<ItemLocation>((int)Math.Min(count, cursor.Remaining / 4));
        for (var i = 0u; i < count; i++)
        {
            var id = version < 2 ? cursor.U16() : cursor.U32();
            var method = version is 1 or 2 ? (ConstructionMethod)(cursor.U16() & 0xF) : ConstructionMethod.FileOffset;
            var reference = cursor.U16();
            var baseOffset = cursor.Sized(baseSize);
            var extentCount = cursor.U16();
            if (method is not (ConstructionMethod.FileOffset or ConstructionMethod.IdatOffset))
            {
                throw new HeifFormatException($"item {id} is built from other items (iloc construction method {(int)method}), which we do not carry over");
            }

            if (reference != 0)
            {
                throw new HeifFormatException($"item {id} lies in another file (data reference {reference}), which we do not carry over");
            }

            if (extentCount > MaxExtentsPerItem)
            {
                throw new HeifFormatException($"item {id} has {extentCount} extents, over the limit of {MaxExtentsPerItem}");
            }

            var extents = new List<ItemExtent>((int)Math.Min(extentCount, cursor.Remaining / 8));
            for (var j = 0; j < extentCount; j++)
            {
                cursor.Sized(indexSize);
                var offset = baseOffset + cursor.Sized(offsetSize);
                var length = cursor.Sized(lengthSize);
                if (length == 0 || offset > long.MaxValue || length > long.MaxValue || offset < baseOffset)
                {
                    throw new HeifFormatException(length == 0
                        ? $"item {id} has an extent of length 0 (to the end of its data), which we do not carry over"
                        : $"item {id} has an extent beyond 64-bit offsets");
                }

                extents.Add(new ItemExtent((long)offset, (long)length));
            }

            items.Add(new ItemLocation(id, method, extents));
        }

        return (version, items);
    }

    /// <summary>
    /// An iloc box of <paramref name="version"/> (0 only when every item is at file offsets) with 4-byte offsets and
    /// lengths where they fit, else 8; no base offsets and no extent indexes. Its size depends only on the items'
    /// number and extents, so a writer can lay out the file before the offsets are known.
    /// </summary>
    public static byte[] Write(byte version, IReadOnlyList<ItemLocation> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (version == 0 && items.Any(item => item.Method != ConstructionMethod.FileOffset))
        {
            version = 1;
        }

        if (version < 2 && items.Any(item => item.ItemId > ushort.MaxValue))
        {
            version = 2;
        }

        var wide = items.SelectMany(item => item.Extents).Any(e => e.Offset > uint.MaxValue || e.Length > uint.MaxValue);
        var fieldSize = wide ? 8 : 4;
        var idSize = version < 2 ? 2 : 4;
        var length = 12 + 2 + idSize + items.Sum(item => idSize + (version == 0 ? 0 : 2) + 2 + 2 + (item.Extents.Count * 2 * fieldSize));
        var box = new byte[length];
        var at = 0;
        Put32((uint)length);
        "iloc"u8.CopyTo(box.AsSpan(4));
        at = 8;
        Put32((uint)version << 24);
        Put16((ushort)((fieldSize << 12) | (fieldSize << 8)));
        PutId((uint)items.Count);
        foreach (var item in items)
        {
            PutId(item.ItemId);
            if (version != 0)
            {
                Put16((ushort)item.Method);
            }

            Put16(0);
            Put16((ushort)item.Extents.Count);
            foreach (var extent in item.Extents)
            {
                PutField(extent.Offset);
                PutField(extent.Length);
            }
        }

        return box;

        void Put16(ushort value)
        {
            BinaryPrimitives.WriteUInt16BigEndian(box.AsSpan(at), value);
            at += 2;
        }

        void Put32(uint value)
        {
            BinaryPrimitives.WriteUInt32BigEndian(box.AsSpan(at), value);
            at += 4;
        }

        void PutId(uint value)
        {
            if (idSize == 2)
            {
                Put16((ushort)value);
            }
            else
            {
                Put32(value);
            }
        }

        void PutField(long value)
        {
            if (fieldSize == 4)
            {
                Put32((uint)value);
            }
            else
            {
                BinaryPrimitives.WriteUInt64BigEndian(box.AsSpan(at), (ulong)value);
                at += 8;
            }
        }
    }
}
