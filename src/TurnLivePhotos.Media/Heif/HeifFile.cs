using System.Text;

namespace TurnLivePhotos.Media.Heif;

/// <summary>An item's entry in iinf: its id, type (hvc1, grid, Exif, mime, …) and, for mime items, the content type and encoding (empty: none).</summary>
public sealed record ItemInfo(uint ItemId, string Type, string? ContentType, string? ContentEncoding = null);

/// <summary>One iref reference: <see cref="From"/> refers to each of <see cref="To"/> as <see cref="Type"/> (dimg, thmb, auxl, cdsc…).</summary>
public sealed record ItemReference(string Type, uint From, IReadOnlyList<uint> To);

/// <summary>
/// A HEIF file (ISO/IEC 23008-12) read as far as item editing needs: ftyp, the file-level meta box (hdlr, pitm,
/// iinf, iref, iloc, idat; every other child such as iprp, dinf and grpl is kept as raw bytes) and where each item's
/// bytes are. Our own code: no .NET library reads HEIF items for editing (Magick.NET and libheif decode and encode
/// images, they do not rewrite a file's items in place). Everything is bounded: the file's size, the boxes per
/// container (<see cref="IsoBox.MaxBoxesPerContainer"/>), items and extents (<see cref="ItemLocations"/>), the
/// references, and every offset is checked against the bytes it points into; only meta, iinf and iref are
/// descended into (depth 3), never recursively.
/// </summary>
public sealed class HeifFile
{
    /// <summary>A larger file is refused (the decode limits refuse photos of that size anyway).</summary>
    public const long MaxBytes = 1L << 30;

    /// <summary>More references in iref (from-to pairs) are refused.</summary>
    public const int MaxReferences = 1 << 20;

    private HeifFile(byte[] data)
    {
        Data = data;
    }

    public byte[] Data { get; }

    public IsoBox Ftyp { get; private set; }

    public IsoBox Meta { get; private set; }

    /// <summary>The meta box's children in file order.</summary>
    public IReadOnlyList<IsoBox> MetaChildren { get; private set; } = [];

    public uint PrimaryItemId { get; private set; }

    public byte IlocVersion { get; private set; }

    public IReadOnlyList<ItemLocation> Locations { get; private set; } = [];

    public IReadOnlyList<ItemInfo> Items { get; private set; } = [];

    public IReadOnlyList<ItemReference> References { get; private set; } = [];

    /// <summary>The idat box's payload range, if there is one.</summary>
    public (long Start, long End)? Idat { get; private set; }

    public static HeifFile Parse(byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.LongLength > MaxBytes)
        {
            throw new HeifFormatException($"the HEIF file is {data.LongLength} bytes, over the {MaxBytes}-byte limit");
        }

        var file = new HeifFile(data);
        var top = IsoBox.ReadAll(data, 0, data.Length, "the file", allowToEnd: true);
        if (top.Count == 0 || top[0].Type != "ftyp")
        {
            throw new HeifFormatException("the file does not start with an ftyp box");
        }

        file.Ftyp = top[0];
        var metas = top.Where(box => box.Type == "meta").ToList();
        if (metas.Count != 1)
        {
            throw new HeifFormatException($"the file has {metas.Count} file-level meta boxes; HEIF has exactly one");
        }

        file.Meta = metas[0];
        var metaCursor = new BoxCursor(data, file.Meta);
        metaCursor.FullBoxHeader();
        file.MetaChildren = IsoBox.ReadAll(data, metaCursor.Position, file.Meta.End, "meta");
        IsoBox Single(string type, bool required)
        {
            var found = file.MetaChildren.Where(box => box.Type == type).ToList();
            return found.Count switch
            {
                1 => found[0],
                0 when !required => default,
                _ => throw new HeifFormatException($"meta has {found.Count} '{type}' boxes; HEIF has {(required ? "exactly" : "at most")} one"),
            };
        }

        var hdlr = new BoxCursor(data, Single("hdlr", required: true));
        hdlr.FullBoxHeader();
        hdlr.U32();
        var handler = Encoding.Latin1.GetString(hdlr.Take(4));
        if (handler != "pict")
        {
            throw new HeifFormatException($"the meta handler is '{handler}', not 'pict' (an image file)");
        }

        var pitm = new BoxCursor(data, Single("pitm", required: true));
        var (pitmVersion, _) = pitm.FullBoxHeader();
        file.PrimaryItemId = pitmVersion == 0 ? pitm.U16() : pitm.U32();
        (file.IlocVersion, var locations) = ItemLocations.Read(data, Single("iloc", required: true));
        if (locations.Select(location => location.ItemId).Distinct().Count() != locations.Count)
        {
            throw new HeifFormatException("iloc lists one item id more than once");
        }

        file.Locations = locations;
        file.Items = ReadItemInfo(data, Single("iinf", required: true));
        var iref = Single("iref", required: false);
        file.References = iref.Type is null ? [] : ReadReferences(data, iref);
        var idat = Single("idat", required: false);
        file.Idat = idat.Type is null ? null : (idat.BodyStart, idat.End);
        file.CheckExtents();
        return file;
    }

    /// <summary>The bytes of an item, its extents joined.</summary>
    public byte[] ItemBytes(uint itemId)
    {
        var location = Locations.FirstOrDefault(l => l.ItemId == itemId) ?? throw new HeifFormatException($"item {itemId} has no location in iloc");
        var bytes = new byte[location.Extents.Sum(e => e.Length)];
        var at = 0;
        foreach (var extent in location.Extents)
        {
            var start = Absolute(location, extent);
            Data.AsSpan((int)start, (int)extent.Length).CopyTo(bytes.AsSpan(at));
            at += (int)extent.Length;
        }

        return bytes;
    }

    /// <summary>Where an extent starts in <see cref="Data"/>.</summary>
    public long Absolute(ItemLocation location, ItemExtent extent)
    {
        ArgumentNullException.ThrowIfNull(location);
        return location.Method == ConstructionMethod.IdatOffset ? Idat!.Value.Start + extent.Offset : extent.Offset;
    }

    /// <summary>The items <paramref name="from"/> refers to as <paramref name="type"/>.</summary>
    public IEnumerable<uint> ReferencedFrom(uint from, string type) =>
        References.Where(r => r.From == from && r.Type == type).SelectMany(r => r.To);

    /// <summary>Every extent lies inside the file (or idat), and all of them together are no more bytes than the file holds.</summary>
    private void CheckExtents()
    {
        var total = 0L;
        foreach (var location in Locations)
        {
            var (start, end) = location.Method == ConstructionMethod.IdatOffset
                ? Idat ?? throw new HeifFormatException($"item {location.ItemId} lies in idat, but meta has no idat box")
                : (0L, Data.LongLength);
            foreach (var extent in location.Extents)
            {
                if (extent.Offset > end - start || extent.Length > end - start - extent.Offset)
                {
                    throw new HeifFormatException($"item {location.ItemId} has an extent ({extent.Offset}, {extent.Length} bytes) outside the {(location.Method == ConstructionMethod.IdatOffset ? "idat box" : "file")}");
                }

                total += extent.Length;
            }
        }

        if (total > Data.LongLength)
        {
            throw new HeifFormatException($"the items' extents add up to {total} bytes, more than the file's {Data.LongLength} (overlapping extents)");
        }
    }

    private static List<ItemInfo> ReadItemInfo(byte[] data, IsoBox iinf)
    {
        var cursor = new BoxCursor(data, iinf);
        var (version, _) = cursor.FullBoxHeader();
        var count = version == 0 ? cursor.U16() : cursor.U32();
        var boxes = IsoBox.ReadAll(data, cursor.Position, iinf.End, "iinf");
        if (boxes.Count != count || boxes.Exists(box => box.Type != "infe"))
        {
            throw new HeifFormatException($"iinf declares {count} entries but holds {boxes.Count} boxes{(boxes.Exists(box => box.Type != "infe") ? " (not all infe)" : string.Empty)}");
        }

        var items = new List<ItemInfo>(boxes.Count);
        foreach (var box in boxes)
        {
            var infe = new BoxCursor(data, box);
            var (infeVersion, _) = infe.FullBoxHeader();
            if (infeVersion < 2)
            {
                // Versions 0 and 1 (ISO/IEC 14496-12 before items had types) name no item type; HEIF uses 2 and 3.
                items.Add(new ItemInfo(infe.U16(), string.Empty, null));
                continue;
            }

            var id = infeVersion == 2 ? infe.U16() : infe.U32();
            infe.U16(); // item_protection_index
            var type = Encoding.Latin1.GetString(infe.Take(4));
            infe.NulTerminated(); // item_name
            var contentType = type == "mime" ? infe.NulTerminated() : null;
            items.Add(new ItemInfo(id, type, contentType, type == "mime" && infe.Remaining > 0 ? infe.NulTerminated() : null));
        }

        return items;
    }

    private static List<ItemReference> ReadReferences(byte[] data, IsoBox iref)
    {
        var cursor = new BoxCursor(data, iref);
        var (version, _) = cursor.FullBoxHeader();
        var references = new List<ItemReference>();
        var pairs = 0L;
        foreach (var box in IsoBox.ReadAll(data, cursor.Position, iref.End, "iref"))
        {
            var entry = new BoxCursor(data, box);
            var from = version == 0 ? entry.U16() : entry.U32();
            var count = entry.U16();
            if ((pairs += count) > MaxReferences)
            {
                throw new HeifFormatException($"iref holds more than {MaxReferences} references");
            }

            var to = new List<uint>((int)Math.Min(count, entry.Remaining / 2));
            for (var i = 0; i < count; i++)
            {
                to.Add(version == 0 ? entry.U16() : entry.U32());
            }

            references.Add(new ItemReference(box.Type, from, to));
        }

        return references;
    }
}
