using System.Buffers.Binary;
using System.Text;
using ImageMagick;

namespace TurnLivePhotos.Tests.Support;

/// <summary>
/// Display P3 photos made here: an ICC v4 matrix/TRC profile built byte by byte (ICC.1:2022: header, tag table,
/// mluc description, XYZ white point and colorants as Apple's Display P3 profile states them, one para type-3 sRGB
/// curve shared by the three channels), embedded in a JPEG of flat saturated patches. Independent of the program's
/// ICC reading, so tests check that code against a profile LittleCMS (through Magick.NET) also reads.
/// </summary>
public static class DisplayP3Photos
{
    /// <summary>The patches, as P3 values; each lies inside sRGB's gamut or near it, and moves when converted.</summary>
    public static readonly (byte R, byte G, byte B)[] Patches = [(100, 170, 90), (200, 70, 60), (60, 110, 190), (230, 200, 60)];

    public static byte[] Profile { get; } = BuildProfile();

    /// <summary>A JPEG of <see cref="Patches"/> side by side (each a full-height column), tagged Display P3.</summary>
    public static byte[] Jpeg(int width = 320, int height = 240)
    {
        var pixels = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var (r, g, b) = Patches[x * Patches.Length / width];
                var at = ((y * width) + x) * 3;
                (pixels[at], pixels[at + 1], pixels[at + 2]) = (r, g, b);
            }
        }

        using var image = new MagickImage(pixels, new PixelReadSettings((uint)width, (uint)height, StorageType.Char, PixelMapping.RGB));
        image.SetProfile(new ColorProfile(Profile));
        image.Quality = 95;
        return image.ToByteArray(MagickFormat.Jpeg);
    }

    /// <summary>A P3 colour as LittleCMS converts it to sRGB (relative colorimetric, through Magick.NET).</summary>
    public static (byte R, byte G, byte B) ToSrgb((byte R, byte G, byte B) p3)
    {
        using var image = new MagickImage(new[] { p3.R, p3.G, p3.B }, new PixelReadSettings(1, 1, StorageType.Char, PixelMapping.RGB));
        image.TransformColorSpace(new ColorProfile(Profile), ColorProfiles.SRGB);
        using var pixels = image.GetPixels();
        var value = pixels.GetPixel(0, 0).ToColor()!;
        return (value.R, value.G, value.B);
    }

    private static byte[] BuildProfile()
    {
        var tags = new List<(string Signature, byte[] Data)>
        {
            ("desc", Mluc("Display P3 (test)")),
            ("cprt", Mluc("No copyright, test data")),
            ("wtpt", Xyz(0.9642, 1.0, 0.8249)),
            ("rXYZ", Xyz(0.515102, 0.241182, -0.001050)),
            ("gXYZ", Xyz(0.291965, 0.692236, 0.041885)),
            ("bXYZ", Xyz(0.157153, 0.066574, 0.784070)),
        };
        var curve = Para3(2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045);
        var table = new List<(string Signature, int Offset, int Length)>();
        var body = new List<byte>();
        var start = 128 + 4 + ((tags.Count + 3) * 12);
        foreach (var (signature, data) in tags)
        {
            table.Add((signature, start + body.Count, data.Length));
            body.AddRange(data);
            Align(body);
        }

        var curveOffset = start + body.Count;
        body.AddRange(curve);
        Align(body);
        foreach (var channel in new[] { "rTRC", "gTRC", "bTRC" })
        {
            table.Add((channel, curveOffset, curve.Length)); // shared data, as ICC.1 §7.3.5 allows
        }

        var profile = new byte[start + body.Count];
        BinaryPrimitives.WriteUInt32BigEndian(profile, (uint)profile.Length);
        BinaryPrimitives.WriteUInt32BigEndian(profile.AsSpan(8), 0x04300000);
        Encoding.ASCII.GetBytes("mntrRGB XYZ ").CopyTo(profile, 12);
        BinaryPrimitives.WriteUInt16BigEndian(profile.AsSpan(24), 2024);
        BinaryPrimitives.WriteUInt16BigEndian(profile.AsSpan(26), 1);
        BinaryPrimitives.WriteUInt16BigEndian(profile.AsSpan(28), 1);
        Encoding.ASCII.GetBytes("acsp").CopyTo(profile, 36);
        Xyz(0.9642, 1.0, 0.8249).AsSpan(8).CopyTo(profile.AsSpan(68)); // the D50 connection-space illuminant
        BinaryPrimitives.WriteUInt32BigEndian(profile.AsSpan(128), (uint)table.Count);
        for (var i = 0; i < table.Count; i++)
        {
            var entry = profile.AsSpan(132 + (i * 12));
            Encoding.ASCII.GetBytes(table[i].Signature).CopyTo(entry);
            BinaryPrimitives.WriteUInt32BigEndian(entry[4..], (uint)table[i].Offset);
            BinaryPrimitives.WriteUInt32BigEndian(entry[8..], (uint)table[i].Length);
        }

        body.ToArray().CopyTo(profile, start);
        return profile;
    }

    private static void Align(List<byte> body)
    {
        while (body.Count % 4 != 0)
        {
            body.Add(0);
        }
    }

    private static byte[] Xyz(double x, double y, double z)
    {
        var data = new byte[20];
        Encoding.ASCII.GetBytes("XYZ ").CopyTo(data, 0);
        Fixed(data, 8, x);
        Fixed(data, 12, y);
        Fixed(data, 16, z);
        return data;
    }

    private static byte[] Para3(double g, double a, double b, double c, double d)
    {
        var data = new byte[12 + 20];
        Encoding.ASCII.GetBytes("para").CopyTo(data, 0);
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(8), 3);
        var parameters = new[] { g, a, b, c, d };
        for (var i = 0; i < parameters.Length; i++)
        {
            Fixed(data, 12 + (i * 4), parameters[i]);
        }

        return data;
    }

    private static byte[] Mluc(string text)
    {
        var utf16 = Encoding.BigEndianUnicode.GetBytes(text);
        var data = new byte[28 + utf16.Length];
        Encoding.ASCII.GetBytes("mluc").CopyTo(data, 0);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(8), 1);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(12), 12);
        Encoding.ASCII.GetBytes("enUS").CopyTo(data, 16);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(20), (uint)utf16.Length);
        BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(24), 28);
        utf16.CopyTo(data, 28);
        return data;
    }

    private static void Fixed(byte[] data, int offset, double value) =>
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(offset), (int)Math.Round(value * 65536));
}
