using System.Buffers.Binary;
using System.Text;
using ImageMagick;
using TurnLivePhotos.Media.Jpeg;

namespace TurnLivePhotos.Tests.Support;

/// <summary>
/// iPhone-shaped photos made here: an Apple MakerNote built byte by byte the way iPhones lay it out ("Apple iOS\0",
/// version 1, "MM", one IFD with offsets from the note's start, values after it), a JPEG carrying it in its Exif,
/// and HEICs made from PNG/JPEG with libheif's heif-enc (thumbnail; alpha as an auxiliary image; Exif from a JPEG).
/// </summary>
public static class ApplePhotos
{
    public const string OldIdentifier = "71DCA213-5710-4A6C-BC6D-CE6306AEB8D8";

    /// <summary>An entry as stored: tag, TIFF type, count, value bytes.</summary>
    public sealed record Entry(ushort Tag, ushort Type, uint Count, byte[] Value);

    /// <summary>The tags of an iPhone's note, including the 64-bit LivePhotoVideoIndex and an undefined blob.</summary>
    public static Entry[] IphoneLikeEntries =>
    [
        new(0x0001, 9, 1, I32(15)),                                     // MakerNoteVersion
        new(0x0004, 9, 1, I32(1)),                                      // AEStable
        new(0x0005, 9, 1, I32(184)),                                    // AETarget
        new(0x0008, 10, 3, [.. I32(-1041), .. I32(1000), .. I32(-29), .. I32(1000), .. I32(251), .. I32(1000)]), // AccelerationVector
        new(0x000A, 9, 1, I32(3)),                                      // HDRImageType
        new(0x000B, 2, 37, Ascii("0B6C3F36-4C5E-4F1A-9C0D-3A9F5C2E7B11")), // BurstUUID
        new(0x0011, 2, 37, Ascii(OldIdentifier)),                       // ContentIdentifier
        new(0x0017, 16, 1, [0, 0, 0, 2, 0, 0x50, 0x30, 0x24]),           // LivePhotoVideoIndex (int64u)
        new(0x0040, 7, 10, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),            // an undocumented blob
    ];

    public static byte[] MakerNote(params Entry[] entries)
    {
        var dataStart = 16 + (12 * entries.Length) + 4;
        var note = new List<byte>("Apple iOS\0"u8.ToArray()) { 0, 1, (byte)'M', (byte)'M', (byte)(entries.Length >> 8), (byte)entries.Length };
        var data = new List<byte>();
        foreach (var entry in entries)
        {
            var field = new byte[12];
            BinaryPrimitives.WriteUInt16BigEndian(field, entry.Tag);
            BinaryPrimitives.WriteUInt16BigEndian(field.AsSpan(2), entry.Type);
            BinaryPrimitives.WriteUInt32BigEndian(field.AsSpan(4), entry.Count);
            if (entry.Value.Length <= 4)
            {
                entry.Value.CopyTo(field, 8);
            }
            else
            {
                BinaryPrimitives.WriteUInt32BigEndian(field.AsSpan(8), (uint)(dataStart + data.Count));
                data.AddRange(entry.Value);
                data.AddRange(new byte[data.Count % 2]); // values start on even offsets, as TIFF asks
            }

            note.AddRange(field);
        }

        note.AddRange(new byte[4]);
        note.AddRange(data);
        return [.. note];
    }

    /// <summary>A camera JPEG whose Exif has Make/Model, DateTimeOriginal and <paramref name="makerNote"/>.</summary>
    public static byte[] JpegWithMakerNote(byte[] makerNote, int width = 320, int height = 240)
    {
        // IFD0 at 8: Make, Model, ExifPointer; the Exif IFD: DateTimeOriginal, MakerNote; values after each IFD.
        var make = Ascii("Apple");
        var model = Ascii("iPhone 15 Plus");
        var date = Ascii("2024:05:01 12:34:56");
        var ifd0 = 8;
        var ifd0Values = ifd0 + 2 + (3 * 12) + 4;
        var exif = ifd0Values + make.Length + model.Length + ((make.Length + model.Length) % 2);
        var exifValues = exif + 2 + (2 * 12) + 4;
        var tiff = new byte[exifValues + date.Length + makerNote.Length];
        "MM\0*"u8.CopyTo(tiff);
        BinaryPrimitives.WriteUInt32BigEndian(tiff.AsSpan(4), (uint)ifd0);
        BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(ifd0), 3);
        Field(tiff, ifd0 + 2, 0x010F, 2, (uint)make.Length, (uint)ifd0Values);
        Field(tiff, ifd0 + 14, 0x0110, 2, (uint)model.Length, (uint)(ifd0Values + make.Length));
        Field(tiff, ifd0 + 26, 0x8769, 4, 1, (uint)exif);
        make.CopyTo(tiff, ifd0Values);
        model.CopyTo(tiff, ifd0Values + make.Length);
        BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(exif), 2);
        Field(tiff, exif + 2, 0x9003, 2, (uint)date.Length, (uint)exifValues);
        Field(tiff, exif + 14, 0x927C, 7, (uint)makerNote.Length, (uint)(exifValues + date.Length));
        date.CopyTo(tiff, exifValues);
        makerNote.CopyTo(tiff, exifValues + date.Length);

        var file = JpegFile.Parse(TestPhotos.Scene(width, height));
        file.Segments.RemoveAll(s => s.IsExif);
        file.Segments.Insert(0, new JpegSegment(0xE1, [.. "Exif\0\0"u8, .. tiff]));
        return file.ToArray();
    }

    /// <summary>A HEIC made by heif-enc from <paramref name="source"/> (PNG or JPEG), with a thumbnail.</summary>
    public static byte[] Heic(TempFolder folder, byte[] source, string extension)
    {
        var input = folder.Write("heic-source." + extension, source);
        var output = folder["made.heic"];
        var (exit, _, errors) = ExternalTools.Run("heif-enc", "-q", "60", "-t", "64", "-o", output, input);
        Assert.True(exit == 0, errors);
        return File.ReadAllBytes(output);
    }

    /// <summary>A PNG with a varying alpha channel (heif-enc stores it as an auxl-referenced alpha image).</summary>
    public static byte[] PngWithAlpha(int width, int height)
    {
        using var image = TestPhotos.SceneImage(width, height);
        image.Alpha(AlphaAction.Set);
        using var mask = new MagickImage(MagickColors.White, (uint)width, (uint)height);
        mask.Draw(new ImageMagick.Drawing.Drawables().FillColor(MagickColors.Gray).Circle(width / 2.0, height / 2.0, width / 2.0, height / 4.0));
        image.Composite(mask, CompositeOperator.CopyAlpha);
        return image.ToByteArray(MagickFormat.Png);
    }

    private static byte[] I32(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text + "\0");

    private static void Field(byte[] tiff, int at, ushort tag, ushort type, uint count, uint value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(at), tag);
        BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(at + 2), type);
        BinaryPrimitives.WriteUInt32BigEndian(tiff.AsSpan(at + 4), count);
        BinaryPrimitives.WriteUInt32BigEndian(tiff.AsSpan(at + 8), value);
    }
}
