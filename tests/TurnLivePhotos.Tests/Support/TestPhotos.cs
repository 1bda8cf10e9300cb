using ImageMagick;
using System.Text;
using ImageMagick.Drawing;

namespace TurnLivePhotos.Tests.Support;

/// <summary>Photos made by the tests: a detailed scene (so motion shows in every pixel row), in any format and size.</summary>
public static class TestPhotos
{
    public static byte[] Scene(int width, int height, MagickFormat format = MagickFormat.Jpeg, int seed = 1)
    {
        using var image = SceneImage(width, height, seed);
        image.Quality = 92;
        return image.ToByteArray(format);
    }

    public static MagickImage SceneImage(int width, int height, int seed = 1)
    {
        var image = new MagickImage("gradient:#3a7bd5-#f4d58d", (uint)width, (uint)height);
        var random = new Random(seed);
        var drawables = new Drawables();
        for (var i = 0; i < 60; i++)
        {
            var x = random.Next(width);
            var y = random.Next(height);
            var r = 2 + random.Next(Math.Max(3, Math.Min(width, height) / 8));
            drawables.FillColor(new MagickColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256))).Circle(x, y, x + r, y);
        }

        drawables.Draw(image);
        return image;
    }

    /// <summary>A JPEG as a camera writes it: EXIF make, model, date (and its UTC offset when given) and GPS, and optionally an XMP title.</summary>
    public static byte[] CameraJpeg(string? xmpTitle, string? offsetTime = null)
    {
        using var image = SceneImage(240, 160);
        var exif = new ExifProfile();
        exif.SetValue(ExifTag.Make, "TestCam");
        exif.SetValue(ExifTag.Model, "T-1");
        exif.SetValue(ExifTag.DateTimeOriginal, "2024:05:01 12:34:56");
        if (offsetTime is not null)
        {
            exif.SetValue(ExifTag.OffsetTimeOriginal, offsetTime);
        }

        exif.SetValue(ExifTag.GPSLatitudeRef, "N");
        exif.SetValue(ExifTag.GPSLatitude, [new Rational(48, 1), new Rational(51, 1), new Rational(0, 1)]);
        image.SetProfile(exif);
        if (xmpTitle is not null)
        {
            var packet = $"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">{xmpTitle}</rdf:li></rdf:Alt></dc:title></rdf:Description></rdf:RDF></x:xmpmeta>";
            image.SetProfile(new XmpProfile(Encoding.UTF8.GetBytes(packet)));
        }

        return image.ToByteArray(MagickFormat.Jpeg);
    }

    /// <summary>A JPEG whose stored pixels are landscape, with EXIF Orientation 6 ("rotate 90° clockwise to view").</summary>
    public static byte[] JpegWithOrientation6(int storedWidth, int storedHeight)
    {
        using var image = SceneImage(storedWidth, storedHeight);
        var profile = new ExifProfile();
        profile.SetValue(ExifTag.Orientation, (ushort)6);
        image.SetProfile(profile);
        image.Orientation = Orientation.RightTop;
        return image.ToByteArray(MagickFormat.Jpeg);
    }

    /// <summary>
    /// A PNG whose header declares <paramref name="width"/>×<paramref name="height"/> but whose data is a few bytes:
    /// the shape of a decompression bomb, without the bomb.
    /// </summary>
    public static byte[] PngDeclaring(uint width, uint height)
    {
        using var stream = new MemoryStream();
        stream.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(header, width);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth
        header[9] = 2; // truecolour
        WriteChunk(stream, "IHDR", header);
        WriteChunk(stream, "IDAT", [0x78, 0x9C, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01]);
        WriteChunk(stream, "IEND", []);
        return stream.ToArray();
    }

    private static void WriteChunk(Stream stream, string type, byte[] data)
    {
        var length = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(length, (uint)data.Length);
        stream.Write(length);
        var typeAndData = System.Text.Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        stream.Write(typeAndData);
        var crc = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typeAndData));
        stream.Write(crc);
    }

    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }
}
