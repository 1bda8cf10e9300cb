using System.Buffers.Binary;
using ImageMagick;
using TurnLivePhotos.Media.Decoding;

namespace TurnLivePhotos.Tests.Support;

/// <summary>
/// Small files whose headers declare a huge image, in every accepted format: a tiny real image is written, then the
/// size fields its format's header carries are rewritten (JPEG SOF, GIF screen and image descriptors, BMP info
/// header, TIFF ImageWidth/ImageLength, WebP VP8/VP8X, HEIF/AVIF ispe). The bytes stay a few kilobytes.
/// </summary>
public static class PixelBombs
{
    public static byte[] Declaring(PhotoFormat format, int width, int height) => format switch
    {
        PhotoFormat.Png => TestPhotos.PngDeclaring((uint)width, (uint)height),
        PhotoFormat.Jpeg => Jpeg(width, height),
        PhotoFormat.Gif => Gif(width, height),
        PhotoFormat.Bmp => Bmp(width, height),
        PhotoFormat.Tiff => Tiff(width, height),
        PhotoFormat.WebP => WebP(width, height),
        PhotoFormat.Heif => Ispe(SmallHeic(), width, height),
        PhotoFormat.Avif => Ispe(Small(MagickFormat.Avif), width, height),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    /// <summary>Whether a format's header can state that size at all (JPEG and GIF hold 16 bits, a WebP VP8 frame 14, VP8X 24).</summary>
    public static bool CanDeclare(PhotoFormat format, int width, int height) => format switch
    {
        PhotoFormat.Jpeg or PhotoFormat.Gif => width <= ushort.MaxValue && height <= ushort.MaxValue,
        PhotoFormat.WebP => width <= 1 << 24 && height <= 1 << 24,
        _ => true,
    };

    /// <summary>A 16x16 HEIC from heif-enc (libheif's encoder; ImageMagick here decodes HEIC but does not write it).</summary>
    public static byte[] SmallHeic()
    {
        using var folder = new TempFolder();
        var png = folder.Write("small.png", Small(MagickFormat.Png));
        var (exit, _, errors) = ExternalTools.Run("heif-enc", "-q", "50", "-o", folder["small.heic"], png);
        Assert.True(exit == 0, errors);
        return File.ReadAllBytes(folder["small.heic"]);
    }

    private static byte[] Small(MagickFormat format)
    {
        using var image = TestPhotos.SceneImage(16, 16);
        return image.ToByteArray(format);
    }

    /// <summary>The baseline SOFn segment: FF C0, length, precision, height, width (big-endian).</summary>
    private static byte[] Jpeg(int width, int height)
    {
        var bytes = Small(MagickFormat.Jpeg);
        var sof = Find(bytes, [0xFF, 0xC0]);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(sof + 5), (ushort)height);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(sof + 7), (ushort)width);
        return bytes;
    }

    /// <summary>GIF89a: the logical screen (bytes 6-9) and the first image descriptor (after 0x2C: left, top, width, height).</summary>
    private static byte[] Gif(int width, int height)
    {
        var bytes = Small(MagickFormat.Gif);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(6), (ushort)width);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)height);
        var position = 13 + ((bytes[10] & 0x80) != 0 ? 3 * (2 << (bytes[10] & 7)) : 0);
        while (bytes[position] == 0x21)
        {
            position += 2;
            while (bytes[position] != 0)
            {
                position += bytes[position] + 1;
            }

            position++;
        }

        Assert.Equal(0x2C, bytes[position]);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(position + 5), (ushort)width);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(position + 7), (ushort)height);
        return bytes;
    }

    /// <summary>BITMAPINFOHEADER and its successors: width at 18, height at 22 (signed, little-endian).</summary>
    private static byte[] Bmp(int width, int height)
    {
        var bytes = Small(MagickFormat.Bmp);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(22), height);
        return bytes;
    }

    /// <summary>The first IFD's ImageWidth (256), ImageLength (257) and RowsPerStrip (278, one strip), rewritten as LONG values.</summary>
    private static byte[] Tiff(int width, int height)
    {
        var bytes = Small(MagickFormat.Tiff);
        Assert.Equal((byte)'I', bytes[0]);
        var ifd = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4));
        var count = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(ifd));
        for (var i = 0; i < count; i++)
        {
            var entry = bytes.AsSpan(ifd + 2 + (12 * i), 12);
            var tag = BinaryPrimitives.ReadUInt16LittleEndian(entry);
            if (tag is 256 or 257 or 278)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(entry[2..], 4);
                BinaryPrimitives.WriteUInt32LittleEndian(entry[4..], 1);
                BinaryPrimitives.WriteInt32LittleEndian(entry[8..], tag == 256 ? width : height);
            }
        }

        return bytes;
    }

    /// <summary>
    /// A lossy WebP: sizes that fit a VP8 frame (14 bits) go into the frame header after its start code 9D 01 2A;
    /// larger ones into a VP8X canvas (24 bits, stored minus one) put in front of the small frame.
    /// </summary>
    private static byte[] WebP(int width, int height)
    {
        var bytes = Small(MagickFormat.WebP);
        Assert.Equal("VP8 ", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        if (width < 1 << 14 && height < 1 << 14)
        {
            var start = Find(bytes, [0x9D, 0x01, 0x2A]);
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(start + 3), (ushort)width);
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(start + 5), (ushort)height);
            return bytes;
        }

        var vp8x = new byte[18];
        "VP8X"u8.CopyTo(vp8x);
        BinaryPrimitives.WriteUInt32LittleEndian(vp8x.AsSpan(4), 10);
        WriteUInt24(vp8x.AsSpan(12), width - 1);
        WriteUInt24(vp8x.AsSpan(15), height - 1);
        var result = new byte[bytes.Length + vp8x.Length];
        bytes.AsSpan(0, 12).CopyTo(result);
        vp8x.CopyTo(result, 12);
        bytes.AsSpan(12).CopyTo(result.AsSpan(12 + vp8x.Length));
        BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(4), (uint)(result.Length - 8));
        return result;
    }

    /// <summary>Every 'ispe' (image spatial extents: version/flags, width, height) of a HEIF/AVIF file.</summary>
    private static byte[] Ispe(byte[] bytes, int width, int height)
    {
        var found = 0;
        for (var at = Find(bytes, "ispe"u8); at >= 0; at = Find(bytes, "ispe"u8, at + 4))
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(at + 8), (uint)width);
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(at + 12), (uint)height);
            found++;
        }

        Assert.True(found > 0, "the encoder wrote no ispe box");
        return bytes;
    }

    private static void WriteUInt24(Span<byte> target, int value)
    {
        target[0] = (byte)value;
        target[1] = (byte)(value >> 8);
        target[2] = (byte)(value >> 16);
    }

    private static int Find(byte[] bytes, ReadOnlySpan<byte> pattern, int from = 0)
    {
        var index = bytes.AsSpan(from).IndexOf(pattern);
        return index < 0 ? -1 : from + index;
    }
}
