using System.Buffers.Binary;
using System.Text;

namespace TurnLivePhotos.Media.Heif;

/// <summary>
/// Writes a HEIF file with one item's bytes replaced (or one metadata item added) and every other item's bytes
/// copied unchanged: ftyp as it was, then meta with its children in their order (iloc rewritten for the new
/// offsets; iinf and iref extended when an item is added; everything else — iprp, idat, grpl, dinf… — byte for
/// byte), then one mdat holding the items' file-offset extents in their original order, each shared extent once.
/// Other file-level boxes (free space, a Samsung motion photo's mpvd video) are not carried over: the items are the
/// picture. Items in idat keep their offsets, as idat is copied unchanged.
/// </summary>
public static class HeifRewriter
{
    /// <summary>The file with item <paramref name="itemId"/>'s bytes replaced by <paramref name="content"/> (one extent in mdat).</summary>
    public static byte[] WithItemBytes(HeifFile file, uint itemId, byte[] content)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (!file.Locations.Any(location => location.ItemId == itemId))
        {
            throw new HeifFormatException($"item {itemId} has no location in iloc");
        }

        return Write(file, itemId, content, added: null);
    }

    /// <summary>
    /// The file with a new item of <paramref name="type"/> (such as Exif) holding <paramref name="content"/>, which
    /// describes (cdsc) item <paramref name="describes"/>.
    /// </summary>
    public static byte[] WithNewItem(HeifFile file, string type, byte[] content, uint describes)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(type);
        var used = file.Items.Select(item => item.ItemId).Concat(file.Locations.Select(location => location.ItemId)).Append(file.PrimaryItemId);
        var id = used.Max() + 1;
        return Write(file, id, content, (type, describes));
    }

    private static byte[] Write(HeifFile file, uint itemId, byte[] content, (string Type, uint Describes)? added)
    {
        var data = file.Data;

        // The extents to copy into the new mdat: each distinct file-offset extent of every other item, in file order.
        var replaced = file.Locations.FirstOrDefault(location => location.ItemId == itemId);
        var extents = file.Locations
            .Where(location => location.ItemId != itemId && location.Method == ConstructionMethod.FileOffset)
            .SelectMany(location => location.Extents)
            .Distinct()
            .OrderBy(extent => extent.Offset)
            .ToList();
        var contentAt = replaced is { Method: ConstructionMethod.FileOffset } ? replaced.Extents.Min(e => e.Offset) : long.MaxValue;

        // meta's children, with iloc sized by a placeholder (its size depends only on the number of extents).
        var locations = file.Locations.Where(location => location.ItemId != itemId).ToList();
        var newLocation = new ItemLocation(itemId, ConstructionMethod.FileOffset, [new ItemExtent(0, content.Length)]);
        var order = file.Locations.Select(location => location.ItemId).ToList();
        if (added is not null)
        {
            order.Add(itemId);
        }

        List<ItemLocation> Ordered(List<ItemLocation> others, ItemLocation mine)
        {
            var byId = others.ToDictionary(location => location.ItemId);
            return order.Select(id => id == itemId ? mine : byId[id]).ToList();
        }

        var placeholder = ItemLocations.Write(file.IlocVersion, Ordered(locations, newLocation));
        var children = file.MetaChildren.Select(box => box.Type switch
        {
            "iloc" => placeholder,
            "iinf" when added is not null => WithInfe(data, box, itemId, added.Value.Type),
            "iref" when added is not null => WithReference(data, box, itemId, added.Value.Describes),
            _ => data[(int)box.Start..(int)box.End],
        }).ToList();
        if (added is not null && !file.MetaChildren.Any(box => box.Type == "iref"))
        {
            children.Add(Reference(version: 0, itemId, added.Value.Describes, withHeader: true));
        }

        var metaVersionAndFlags = data[(int)file.Meta.BodyStart..(int)(file.Meta.BodyStart + 4)];
        var metaSize = 12L + children.Sum(child => (long)child.Length);
        var mdatBody = extents.Sum(extent => extent.Length) + content.Length;
        var mdatStart = file.Ftyp.Size + metaSize;
        var wideMdat = mdatBody + 8 > uint.MaxValue;
        var at = mdatStart + (wideMdat ? 16 : 8);

        // Where each extent lands, in the original order, with the new content where the old one was.
        var moved = new Dictionary<ItemExtent, long>();
        var contentOffset = -1L;
        foreach (var extent in extents)
        {
            if (contentOffset < 0 && extent.Offset > contentAt)
            {
                contentOffset = at;
                at += content.Length;
            }

            moved[extent] = at;
            at += extent.Length;
        }

        if (contentOffset < 0)
        {
            contentOffset = at;
        }

        var final = locations.Select(location => location.Method == ConstructionMethod.FileOffset
            ? location with { Extents = location.Extents.Select(e => e with { Offset = moved[e] }).ToList() }
            : location).ToList();
        var iloc = ItemLocations.Write(file.IlocVersion, Ordered(final, newLocation with { Extents = [new ItemExtent(contentOffset, content.Length)] }));
        if (iloc.Length != placeholder.Length)
        {
            throw new HeifFormatException("the rewritten iloc changed size while the offsets were filled in");
        }

        children[children.IndexOf(placeholder)] = iloc;

        var output = new byte[checked(mdatStart + (wideMdat ? 16 : 8) + mdatBody)];
        var write = 0L;
        Put(data.AsSpan((int)file.Ftyp.Start, (int)file.Ftyp.Size));
        PutBoxHeader(metaSize, "meta"u8, wide: false);
        Put(metaVersionAndFlags);
        foreach (var child in children)
        {
            Put(child);
        }

        PutBoxHeader(mdatBody + (wideMdat ? 16 : 8), "mdat"u8, wideMdat);
        foreach (var extent in extents)
        {
            if (write == contentOffset)
            {
                Put(content);
            }

            Put(data.AsSpan((int)extent.Offset, (int)extent.Length));
        }

        if (write == contentOffset)
        {
            Put(content);
        }

        return output;

        void Put(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(output.AsSpan((int)write));
            write += bytes.Length;
        }

        void PutBoxHeader(long size, ReadOnlySpan<byte> type, bool wide)
        {
            BinaryPrimitives.WriteUInt32BigEndian(output.AsSpan((int)write), wide ? 1u : (uint)size);
            type.CopyTo(output.AsSpan((int)write + 4));
            write += 8;
            if (wide)
            {
                BinaryPrimitives.WriteUInt64BigEndian(output.AsSpan((int)write), (ulong)size);
                write += 8;
            }
        }
    }

    /// <summary>iinf with one more infe (version 2, or 3 for an id over 16 bits) for the new item.</summary>
    private static byte[] WithInfe(byte[] data, IsoBox iinf, uint itemId, string type)
    {
        var version = data[iinf.BodyStart];
        var countSize = version == 0 ? 2 : 4;
        var countAt = (int)iinf.BodyStart + 4;
        var count = countSize == 2 ? BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(countAt)) : BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(countAt));
        if (countSize == 2 && count == ushort.MaxValue)
        {
            throw new HeifFormatException("iinf is full (65535 items), no item can be added");
        }

        var infeVersion = itemId > ushort.MaxValue ? (byte)3 : (byte)2;
        var infe = new List<byte>();
        infe.AddRange(new byte[4]);
        infe.AddRange("infe"u8.ToArray());
        infe.AddRange([infeVersion, 0, 0, 0]);
        infe.AddRange(infeVersion == 2 ? [(byte)(itemId >> 8), (byte)itemId] : [(byte)(itemId >> 24), (byte)(itemId >> 16), (byte)(itemId >> 8), (byte)itemId]);
        infe.AddRange([0, 0]); // item_protection_index: none
        infe.AddRange(Encoding.Latin1.GetBytes(type));
        infe.Add(0); // item_name: empty
        var infeBytes = infe.ToArray();
        BinaryPrimitives.WriteUInt32BigEndian(infeBytes, (uint)infeBytes.Length);

        var box = Bytes.Concat(data[(int)iinf.Start..(int)iinf.End], infeBytes);
        BinaryPrimitives.WriteUInt32BigEndian(box, (uint)box.Length);
        var at = countAt - (int)iinf.Start;
        if (countSize == 2)
        {
            BinaryPrimitives.WriteUInt16BigEndian(box.AsSpan(at), (ushort)(count + 1));
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(box.AsSpan(at), count + 1);
        }

        return box;
    }

    /// <summary>iref with one more cdsc reference from the new item.</summary>
    private static byte[] WithReference(byte[] data, IsoBox iref, uint from, uint to)
    {
        var version = data[iref.BodyStart];
        var box = Bytes.Concat(data[(int)iref.Start..(int)iref.End], Reference(version, from, to, withHeader: false));
        BinaryPrimitives.WriteUInt32BigEndian(box, (uint)box.Length);
        return box;
    }

    /// <summary>A cdsc reference box (ISO/IEC 14496-12 §8.11.12), inside an iref box of its own when <paramref name="withHeader"/>.</summary>
    private static byte[] Reference(byte version, uint from, uint to, bool withHeader)
    {
        if (version == 0 && (from > ushort.MaxValue || to > ushort.MaxValue))
        {
            throw new HeifFormatException("iref version 0 cannot name an item id over 65535");
        }

        var idSize = version == 0 ? 2 : 4;
        var reference = new byte[8 + idSize + 2 + idSize];
        BinaryPrimitives.WriteUInt32BigEndian(reference, (uint)reference.Length);
        "cdsc"u8.CopyTo(reference.AsSpan(4));
        PutId(reference.AsSpan(8), from);
        BinaryPrimitives.WriteUInt16BigEndian(reference.AsSpan(8 + idSize), 1);
        PutId(reference.AsSpan(10 + idSize), to);
        if (!withHeader)
        {
            return reference;
        }

        var box = new byte[12 + reference.Length];
        BinaryPrimitives.WriteUInt32BigEndian(box, (uint)box.Length);
        "iref"u8.CopyTo(box.AsSpan(4));
        box[8] = version;
        reference.CopyTo(box, 12);
        return box;

        void PutId(Span<byte> at, uint id)
        {
            if (idSize == 2)
            {
                BinaryPrimitives.WriteUInt16BigEndian(at, (ushort)id);
            }
            else
            {
                BinaryPrimitives.WriteUInt32BigEndian(at, id);
            }
        }
    }
}
