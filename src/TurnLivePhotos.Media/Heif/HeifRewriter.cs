using System.Buffers.Binary;
using System.Text;

namespace TurnLivePhotos.Media.Heif;

/// <summary>An item to add: its type, bytes, and the item it describes (a cdsc reference).</summary>
public sealed record NewItem(string Type, byte[] Content, uint Describes);

/// <summary>
/// Writes a HEIF file with some items' bytes replaced (and maybe one metadata item added) and every other item's bytes
/// copied unchanged: ftyp as it was, then meta with its children in their order (iloc rewritten for the new
/// offsets; iinf and iref extended when an item is added; everything else — iprp, idat, grpl, dinf… — byte for
/// byte), then one mdat holding the items' file-offset extents in their original order, each shared extent once.
/// Other file-level boxes (free space, a Samsung motion photo's mpvd video) are not carried over: the items are the
/// picture. Items in idat keep their offsets, as idat is copied unchanged.
/// </summary>
public static class HeifRewriter
{
    /// <summary>
    /// The file with each item of <paramref name="replacements"/> holding its new bytes (one extent in mdat, where
    /// its first extent was), and, when <paramref name="added"/> is given, one more item that describes (cdsc)
    /// another, such as an Exif item for the primary image.
    /// </summary>
    public static byte[] Rewrite(HeifFile file, IReadOnlyDictionary<uint, byte[]> replacements, NewItem? added = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(replacements);
        foreach (var id in replacements.Keys.Where(id => !file.Locations.Any(location => location.ItemId == id)))
        {
            throw new HeifFormatException($"item {id} has no location in iloc");
        }

        var contents = new Dictionary<uint, byte[]>(replacements);
        uint? addedId = null;
        if (added is not null)
        {
            var used = file.Items.Select(item => item.ItemId).Concat(file.Locations.Select(location => location.ItemId)).Append(file.PrimaryItemId);
            addedId = used.Max() + 1;
            contents[addedId.Value] = added.Content;
        }

        var data = file.Data;

        // What goes into the new mdat, in the original order: each distinct file-offset extent of the items kept,
        // and each new content where its item's first extent was (at the end for idat items and the added item).
        var pieces = file.Locations
            .Where(location => !contents.ContainsKey(location.ItemId) && location.Method == ConstructionMethod.FileOffset)
            .SelectMany(location => location.Extents)
            .Distinct()
            .Select(extent => (Key: extent.Offset, Extent: (ItemExtent?)extent, Item: 0u))
            .Concat(contents.Keys.Select(id => file.Locations.FirstOrDefault(location => location.ItemId == id) is { Method: ConstructionMethod.FileOffset } replaced
                ? (Key: replaced.Extents.Min(e => e.Offset), Extent: (ItemExtent?)null, Item: id)
                : (Key: long.MaxValue, Extent: (ItemExtent?)null, Item: id)))
            .OrderBy(piece => piece.Key).ThenBy(piece => piece.Extent is null ? 1 : 0).ThenBy(piece => piece.Item)
            .ToList();

        // meta's children, with iloc sized by a placeholder (its size depends only on the number of extents).
        var order = file.Locations.Select(location => location.ItemId).ToList();
        if (addedId is { } newId)
        {
            order.Add(newId);
        }

        List<ItemLocation> Locations(Func<ItemExtent, long> moved, Func<uint, long> contentAt)
        {
            var byId = file.Locations.ToDictionary(location => location.ItemId);
            return order.Select(id => contents.TryGetValue(id, out var content)
                ? new ItemLocation(id, ConstructionMethod.FileOffset, [new ItemExtent(contentAt(id), content.Length)])
                : byId[id].Method == ConstructionMethod.FileOffset
                    ? byId[id] with { Extents = byId[id].Extents.Select(e => e with { Offset = moved(e) }).ToList() }
                    : byId[id]).ToList();
        }

        var placeholder = ItemLocations.Write(file.IlocVersion, Locations(_ => 0, _ => 0));
        var children = file.MetaChildren.Select(box => box.Type switch
        {
            "iloc" => placeholder,
            "iinf" when added is not null => WithInfe(data, box, addedId!.Value, added.Type),
            "iref" when added is not null => WithReference(data, box, addedId!.Value, added.Describes),
            _ => data[(int)box.Start..(int)box.End],
        }).ToList();
        if (added is not null && !file.MetaChildren.Any(box => box.Type == "iref"))
        {
            children.Add(Reference(version: 0, addedId!.Value, added.Describes, withHeader: true));
        }

        var metaVersionAndFlags = data[(int)file.Meta.BodyStart..(int)(file.Meta.BodyStart + 4)];
        var metaSize = 12L + children.Sum(child => (long)child.Length);
        var mdatBody = pieces.Sum(piece => piece.Extent?.Length ?? contents[piece.Item].Length);
        var mdatStart = file.Ftyp.Size + metaSize;
        var wideMdat = mdatBody + 8 > uint.MaxValue;

        // Where each piece lands.
        var movedExtents = new Dictionary<ItemExtent, long>();
        var movedContents = new Dictionary<uint, long>();
        var at = mdatStart + (wideMdat ? 16 : 8);
        foreach (var piece in pieces)
        {
            if (piece.Extent is { } extent)
            {
                movedExtents[extent] = at;
                at += extent.Length;
            }
            else
            {
                movedContents[piece.Item] = at;
                at += contents[piece.Item].Length;
            }
        }

        var iloc = ItemLocations.Write(file.IlocVersion, Locations(e => movedExtents[e], id => movedContents[id]));
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
        foreach (var piece in pieces)
        {
            Put(piece.Extent is { } extent ? data.AsSpan((int)extent.Offset, (int)extent.Length) : contents[piece.Item]);
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
