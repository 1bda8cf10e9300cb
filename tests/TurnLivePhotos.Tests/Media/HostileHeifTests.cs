using System.Buffers.Binary;
using System.Text;
using TurnLivePhotos.Media.Formats;
using TurnLivePhotos.Media.Heif;
using static TurnLivePhotos.Tests.Media.HostileMetadata;

namespace TurnLivePhotos.Tests.Media;

/// <summary>
/// The HEIF reader and rewriter on hostile files made here: each layout we do not carry over and each limit is
/// refused with a <see cref="HeifFormatException"/> that says why, and seeded mutations of a valid file either
/// give a file that reads back or that exception — never another one.
/// </summary>
public sealed class HostileHeifTests
{
    public static TheoryData<string, string> Refusals => new()
    {
        { "construction-method-2", "construction method 2" },
        { "data-reference", "lies in another file" },
        { "extent-length-0", "extent of length 0" },
        { "extent-past-end", "outside the file" },
        { "iloc-count-beyond-box", "ends in the middle of a field" },
        { "iloc-field-size-2", "allows 0, 4 or 8" },
        { "iloc-version-3", "iloc version 3" },
        { "iloc-over-item-limit", "over the limit of 65535" },
        { "iloc-duplicate-id", "more than once" },
        { "iinf-count-mismatch", "iinf declares 5 entries" },
        { "overlapping-extents", "overlapping extents" },
        { "idat-item-without-idat", "no idat box" },
        { "too-many-boxes", "more than 4096 boxes" },
        { "box-size-past-end", "declares a size that does not fit" },
        { "box-64-bit-size-overflow", "declares a size that does not fit" },
        { "two-metas", "2 file-level meta boxes" },
        { "no-ftyp", "does not start with an ftyp box" },
        { "handler-vide", "not 'pict'" },
        { "exif-offset-past-end", "TIFF header offset" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void A_hostile_heif_is_refused_with_the_reason(string variant, string reason)
    {
        var file = Make(variant);

        var error = Assert.Throws<HeifFormatException>(() => LivePhotoHeicStill.Make(file, "ID"));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_minimal_file_itself_is_carried_over_with_an_exif_item_added()
    {
        var file = Make("valid");

        var made = HeifFile.Parse(LivePhotoHeicStill.Make(file, "ID").Heic);

        Assert.Equal(Pixels, made.ItemBytes(1));
        Assert.Equal("ID", TurnLivePhotos.Media.Jpeg.AppleMakerNote.Parse(MakerNoteOf(made)).ContentIdentifier);
    }

    /// <summary>Seeded mutations of a valid file (bytes flipped, fields overwritten, cut short): each reads back or is refused.</summary>
    [Fact]
    public void Mutated_files_are_carried_over_or_refused_never_anything_else()
    {
        var valid = Make("valid-with-exif");
        var random = new Random(2027);
        var carried = 0;
        for (var round = 0; round < 4000; round++)
        {
            var file = (byte[])valid.Clone();
            switch (round % 3)
            {
                case 0:
                    Array.Resize(ref file, random.Next(file.Length));
                    break;
                case 1:
                    for (var flips = random.Next(1, 6); flips > 0; flips--)
                    {
                        file[random.Next(file.Length)] = (byte)random.Next(256);
                    }

                    break;
                default:
                    BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(random.Next(file.Length - 4)), (uint)random.Next(int.MinValue, int.MaxValue));
                    break;
            }

            byte[] still;
            try
            {
                still = LivePhotoHeicStill.Make(file, "ID").Heic;
            }
            catch (HeifFormatException)
            {
                continue;
            }

            carried++;
            var made = HeifFile.Parse(still);
            var original = HeifFile.Parse(file);
            foreach (var location in original.Locations.Where(l => l.ItemId != HeifExif.ItemOf(original)))
            {
                Assert.Equal(original.ItemBytes(location.ItemId), made.ItemBytes(location.ItemId));
            }
        }

        Assert.InRange(carried, 1, 3999); // some mutations leave a readable file, most do not
    }

    private static readonly byte[] Pixels = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();

    /// <summary>
    /// A small HEIF: ftyp, meta (hdlr pict, pitm 1, iinf, iloc, optionally iref and idat), mdat holding item 1's
    /// 300 bytes (and the Exif item's). <paramref name="variant"/> breaks one thing.
    /// </summary>
    private static byte[] Make(string variant)
    {
        var withExif = variant is "valid-with-exif" or "exif-offset-past-end";
        byte[] exif = [0, 0, 0, variant == "exif-offset-past-end" ? (byte)200 : (byte)6, .. "Exif\0\0"u8, .. Tiff()];
        byte[] mdatBody = withExif ? [.. Pixels, .. exif] : Pixels;

        // iloc: version, field sizes, items (id, method, reference, base, extents relative to mdat's body).
        var version = variant switch { "iloc-version-3" => (byte)3, "iloc-over-item-limit" => (byte)2, _ => (byte)1 };
        var fieldSize = variant == "iloc-field-size-2" ? 2 : 4;
        var items = new List<(uint Id, int Method, int Reference, List<(long Offset, long Length)> Extents)>
        {
            (1, variant switch { "construction-method-2" => 2, "idat-item-without-idat" => 1, _ => 0 }, variant == "data-reference" ? 1 : 0,
                [(0, variant switch { "extent-length-0" => 0, "extent-past-end" => 10_000, _ => Pixels.Length })]),
        };
        if (withExif)
        {
            items.Add((2, 0, 0, [(Pixels.Length, exif.Length)]));
        }

        if (variant == "overlapping-extents")
        {
            items.AddRange(Enumerable.Range(3, 20).Select(id => ((uint)id, 0, 0, new List<(long, long)> { (0, Pixels.Length) })));
        }

        if (variant == "iloc-duplicate-id")
        {
            items.Add((1, 0, 0, [(0, 10)]));
        }

        byte[] Iloc(long mdatBodyAt)
        {
            var body = new List<byte> { version, 0, 0, 0, (byte)((fieldSize << 4) | fieldSize), 0 };
            var count = variant switch { "iloc-count-beyond-box" => 60_000, "iloc-over-item-limit" => 70_000, _ => items.Count };
            body.AddRange(version < 2 ? U16((ushort)count) : U32((uint)count));
            foreach (var (id, method, reference, extents) in items)
            {
                body.AddRange(version < 2 ? U16((ushort)id) : U32(id));
                body.AddRange(U16((ushort)method));
                body.AddRange(U16((ushort)reference));
                body.AddRange(U16((ushort)extents.Count));
                foreach (var (offset, length) in extents)
                {
                    body.AddRange(Field(method == 0 ? mdatBodyAt + offset : offset));
                    body.AddRange(Field(length));
                }
            }

            return Box("iloc", [.. body]);

            byte[] Field(long value) => fieldSize == 4 ? U32((uint)value) : U16((ushort)value);
        }

        var infe = new List<byte[]> { Infe(1, "hvc1") };
        if (withExif)
        {
            infe.Add(Infe(2, "Exif"));
        }

        var iinf = Box("iinf", [0, 0, 0, 0], U16((ushort)(variant == "iinf-count-mismatch" ? 5 : infe.Count)), [.. infe.SelectMany(b => b)]);
        var hdlr = Box("hdlr", new byte[8], Encoding.ASCII.GetBytes(variant == "handler-vide" ? "vide" : "pict"), new byte[13]);
        var pitm = Box("pitm", [0, 0, 0, 0], U16(1));
        var iref = withExif ? Box("iref", [0, 0, 0, 0], Box("cdsc", U16(2), U16(1), U16(1))) : [];
        var padding = variant == "too-many-boxes" ? Enumerable.Range(0, 5000).SelectMany(_ => Box("free", Array.Empty<byte>())).ToArray() : [];
        var ftyp = variant == "no-ftyp" ? [] : Box("ftyp", "heic"u8.ToArray(), new byte[4], "mif1heic"u8.ToArray());

        byte[] Meta(byte[] iloc) => Box("meta", [0, 0, 0, 0], hdlr, pitm, iinf, iref, iloc, padding);
        var metaLength = Meta(Iloc(0)).Length;
        var meta = Meta(Iloc(ftyp.Length + metaLength + 8));
        var mdat = Box("mdat", mdatBody);
        byte[] file = [.. ftyp, .. meta, .. mdat];
        return variant switch
        {
            "two-metas" => [.. file, .. Box("meta", [0, 0, 0, 0], hdlr)],
            "box-size-past-end" => [.. file, .. Box("free", 1000)],
            "box-64-bit-size-overflow" => [.. file, .. Box("free", 1, ulong.MaxValue - 4)],
            _ => file,
        };
    }

    private static byte[] Infe(ushort id, string type) =>
        Box("infe", [2, 0, 0, 0], U16(id), U16(0), Encoding.ASCII.GetBytes(type), [0]);

    /// <summary>The Apple MakerNote in the file's Exif item (found by its signature; the rest of the item is not needed).</summary>
    private static byte[] MakerNoteOf(HeifFile file)
    {
        var exif = file.ItemBytes(HeifExif.ItemOf(file)!.Value);
        return exif[exif.AsSpan().IndexOf("Apple iOS\0"u8)..];
    }

    private static byte[] U16(ushort value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, value);
        return bytes;
    }

    private static byte[] U32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }
}
