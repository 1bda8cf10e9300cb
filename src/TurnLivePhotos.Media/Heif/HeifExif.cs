using System.Buffers.Binary;

namespace TurnLivePhotos.Media.Heif;

/// <summary>
/// A HEIF Exif item (ISO/IEC 23008-12 Annex A.2.1): a 32-bit exif_tiff_header_offset, then that many bytes
/// (iPhones write "Exif\0\0"), then the TIFF structure.
/// </summary>
public static class HeifExif
{
    /// <summary>The Exif item describing the primary image (a cdsc reference to it), else the first Exif item; null when there is none.</summary>
    public static uint? ItemOf(HeifFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var exif = file.Items.Where(item => item.Type == "Exif").Select(item => item.ItemId).ToList();
        return exif.Where(id => file.ReferencedFrom(id, "cdsc").Contains(file.PrimaryItemId)).Select(id => (uint?)id).FirstOrDefault()
            ?? exif.Select(id => (uint?)id).FirstOrDefault();
    }

    /// <summary>The item's bytes up to the TIFF header (offset field and prefix), and the TIFF structure.</summary>
    public static (byte[] Prefix, byte[] Tiff) Split(byte[] item)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (item.Length < 4)
        {
            throw new HeifFormatException("the Exif item is shorter than its 4-byte header offset");
        }

        var offset = BinaryPrimitives.ReadUInt32BigEndian(item);
        if (offset > item.Length - 4)
        {
            throw new HeifFormatException($"the Exif item's TIFF header offset ({offset}) lies past its end ({item.Length} bytes)");
        }

        var start = 4 + (int)offset;
        return (item[..start], item[start..]);
    }
}
