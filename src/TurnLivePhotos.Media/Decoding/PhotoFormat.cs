namespace TurnLivePhotos.Media.Decoding;

/// <summary>The photo formats we accept as input. Anything else is refused, whatever its file name says.</summary>
public enum PhotoFormat
{
    Jpeg,
    Png,
    WebP,
    Bmp,
    Tiff,
    Gif,
    Heif,
    Avif,
}

/// <summary>Recognises a photo format from its first bytes (magic numbers), never from a file name.</summary>
public static class PhotoFormatSniffer
{
    /// <summary>How many leading bytes <see cref="Detect"/> needs to decide.</summary>
    public const int HeaderLength = 32;

    private static readonly string[] HeifBrands = ["heic", "heix", "hevc", "hevx", "heim", "heis", "hevm", "hevs", "mif1", "msf1"];
    private static readonly string[] AvifBrands = ["avif", "avis"];

    public static PhotoFormat? Detect(ReadOnlySpan<byte> header)
    {
        if (header.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
        {
            return PhotoFormat.Jpeg;
        }

        if (header.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return PhotoFormat.Png;
        }

        if (header.StartsWith("GIF87a"u8) || header.StartsWith("GIF89a"u8))
        {
            return PhotoFormat.Gif;
        }

        if (header.Length >= 12 && header.StartsWith("RIFF"u8) && header.Slice(8, 4).SequenceEqual("WEBP"u8))
        {
            return PhotoFormat.WebP;
        }

        if (header.StartsWith("II*\0"u8) || header.StartsWith("MM\0*"u8))
        {
            return PhotoFormat.Tiff;
        }

        if (header.Length >= 26 && header.StartsWith("BM"u8) && IsBmpInfoHeaderSize(header.Slice(14, 4)))
        {
            return PhotoFormat.Bmp;
        }

        return DetectIsoMediaImage(header);
    }

    private static bool IsBmpInfoHeaderSize(ReadOnlySpan<byte> size)
    {
        var value = BitConverter.ToUInt32(size);
        return value is 12 or 40 or 52 or 56 or 64 or 108 or 124;
    }

    // HEIF and AVIF are ISO base media files: a leading 'ftyp' box whose major or compatible brands name the image kind.
    private static PhotoFormat? DetectIsoMediaImage(ReadOnlySpan<byte> header)
    {
        if (header.Length < 16 || !header.Slice(4, 4).SequenceEqual("ftyp"u8))
        {
            return null;
        }

        var boxSize = (int)Math.Min(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(header), (uint)header.Length);
        var brands = new List<string> { System.Text.Encoding.ASCII.GetString(header.Slice(8, 4)) };
        for (var offset = 16; offset + 4 <= boxSize; offset += 4)
        {
            brands.Add(System.Text.Encoding.ASCII.GetString(header.Slice(offset, 4)));
        }

        if (brands.Exists(brand => AvifBrands.Contains(brand)))
        {
            return PhotoFormat.Avif;
        }

        return brands.Exists(brand => HeifBrands.Contains(brand)) ? PhotoFormat.Heif : null;
    }
}
