using System.Buffers.Binary;
using System.Text;
using ImageMagick;

namespace TurnLivePhotos.Tests.Support;

/// <summary>An Ultra HDR JPEG as built here: the bytes of the whole file and of its gain-map JPEG.</summary>
public sealed record UltraHdrPhoto(byte[] File, byte[] GainMap, int GainMapWidth, int GainMapHeight);

/// <summary>
/// Ultra HDR JPEGs laid out as Android's libultrahdr writes them (Ultra HDR image format v1; no tool on this machine
/// writes one): the primary — SOI, its Exif, an XMP APP1 with hdrgm:Version and a Container:Directory (Primary,
/// then GainMap with its length), an MPF APP2 index (CIPA DC-007, big-endian, primary entry type 0x030000 with the
/// primary's size, gain-map entry with its size and its offset from the index's TIFF header), the image data — then
/// right after the primary's EOI the gain map: a quarter-size grayscale JPEG whose own XMP carries the hdrgm
/// parameters. Built byte by byte here, independently of the program's JPEG and MPF code, so tests that read it
/// with the program check that code against this layout, and exiftool checks both.
/// </summary>
public static class UltraHdrPhotos
{
    public static UltraHdrPhoto Make(int width, int height, ushort orientation = 1, int seed = 11)
    {
        var (gainWidth, gainHeight) = (width / 4, height / 4);
        byte[] gainMapImage;
        using (var gain = TestPhotos.SceneImage(gainWidth, gainHeight, seed + 1))
        {
            gain.ColorType = ColorType.Grayscale;
            gain.Quality = 85;
            gain.Strip();
            gainMapImage = gain.ToByteArray(MagickFormat.Jpeg);
        }

        var gainMap = InsertAfterApplicationSegments(gainMapImage, Segment(0xE1, Xmp("""
            <rdf:Description rdf:about="" xmlns:hdrgm="http://ns.adobe.com/hdr-gain-map/1.0/" hdrgm:Version="1.0"
              hdrgm:GainMapMin="0" hdrgm:GainMapMax="2.32193" hdrgm:Gamma="1" hdrgm:OffsetSDR="0.015625" hdrgm:OffsetHDR="0.015625"
              hdrgm:HDRCapacityMin="0" hdrgm:HDRCapacityMax="2.32193" hdrgm:BaseRenditionIsHDR="False"/>
            """)));

        byte[] primaryImage;
        using (var primary = TestPhotos.SceneImage(width, height, seed))
        {
            var exif = new ExifProfile();
            exif.SetValue(ExifTag.Make, "Google");
            exif.SetValue(ExifTag.Model, "Pixel 8");
            exif.SetValue(ExifTag.DateTimeOriginal, "2024:06:01 18:30:00");
            exif.SetValue(ExifTag.Orientation, orientation);
            primary.SetProfile(exif);
            primary.Orientation = (Orientation)orientation;
            primary.Quality = 92;
            primaryImage = primary.ToByteArray(MagickFormat.Jpeg);
        }

        var xmp = Segment(0xE1, Xmp($"""
            <rdf:Description rdf:about="" xmlns:Container="http://ns.google.com/photos/1.0/container/"
              xmlns:Item="http://ns.google.com/photos/1.0/container/item/" xmlns:hdrgm="http://ns.adobe.com/hdr-gain-map/1.0/"
              xmlns:dc="http://purl.org/dc/elements/1.1/" hdrgm:Version="1.0">
              <dc:title><rdf:Alt><rdf:li xml:lang="x-default">Harbour at dusk</rdf:li></rdf:Alt></dc:title>
              <Container:Directory><rdf:Seq>
                <rdf:li rdf:parseType="Resource"><Container:Item Item:Semantic="Primary" Item:Mime="image/jpeg"/></rdf:li>
                <rdf:li rdf:parseType="Resource"><Container:Item Item:Semantic="GainMap" Item:Mime="image/jpeg" Item:Length="{gainMap.Length}"/></rdf:li>
              </rdf:Seq></Container:Directory>
            </rdf:Description>
            """));
        var insertAt = ApplicationSegmentsEnd(primaryImage);
        var mpfAt = insertAt + xmp.Length;
        var mpfLength = Segment(0xE2, Mpf(0, 0, 0)).Length;
        var primaryLength = primaryImage.Length + xmp.Length + mpfLength;
        var gainMapOffset = primaryLength - (mpfAt + 8); // from FF E2 LL LL "MPF\0" to the TIFF header
        var mpf = Segment(0xE2, Mpf((uint)primaryLength, (uint)gainMap.Length, (uint)gainMapOffset));
        byte[] file = [.. primaryImage[..insertAt], .. xmp, .. mpf, .. primaryImage[insertAt..], .. gainMap];
        return new UltraHdrPhoto(file, gainMap, gainWidth, gainHeight);
    }

    private static byte[] Xmp(string description) =>
    [
        .. "http://ns.adobe.com/xap/1.0/\0"u8,
        .. Encoding.UTF8.GetBytes($"""<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Adobe XMP Core 5.1.2"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">{description}</rdf:RDF></x:xmpmeta>"""),
    ];

    /// <summary>"MPF\0", big-endian TIFF header, Index IFD (version 0100, 2 images, 32 bytes of entries at 50), no Attribute IFD, 2 entries.</summary>
    private static byte[] Mpf(uint primaryLength, uint gainMapLength, uint gainMapOffset)
    {
        var mpf = new byte[4 + 8 + 2 + 36 + 4 + 32];
        "MPF\0MM\0*"u8.CopyTo(mpf);
        var tiff = mpf.AsSpan(4);
        BinaryPrimitives.WriteUInt32BigEndian(tiff[4..], 8);
        BinaryPrimitives.WriteUInt16BigEndian(tiff[8..], 3);
        Tag(tiff[10..], 0xB000, 7, 4, BinaryPrimitives.ReadUInt32BigEndian("0100"u8));
        Tag(tiff[22..], 0xB001, 4, 1, 2);
        Tag(tiff[34..], 0xB002, 7, 32, 50);
        BinaryPrimitives.WriteUInt32BigEndian(tiff[50..], 0x0003_0000);
        BinaryPrimitives.WriteUInt32BigEndian(tiff[54..], primaryLength);
        BinaryPrimitives.WriteUInt32BigEndian(tiff[66..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(tiff[70..], gainMapLength);
        BinaryPrimitives.WriteUInt32BigEndian(tiff[74..], gainMapOffset);
        return mpf;

        static void Tag(Span<byte> at, ushort tag, ushort type, uint count, uint value)
        {
            BinaryPrimitives.WriteUInt16BigEndian(at, tag);
            BinaryPrimitives.WriteUInt16BigEndian(at[2..], type);
            BinaryPrimitives.WriteUInt32BigEndian(at[4..], count);
            BinaryPrimitives.WriteUInt32BigEndian(at[8..], value);
        }
    }

    private static byte[] Segment(byte marker, byte[] payload)
    {
        var segment = new byte[4 + payload.Length];
        segment[0] = 0xFF;
        segment[1] = marker;
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), (ushort)(payload.Length + 2));
        payload.CopyTo(segment, 4);
        return segment;
    }

    private static byte[] InsertAfterApplicationSegments(byte[] jpeg, byte[] segment)
    {
        var at = ApplicationSegmentsEnd(jpeg);
        return [.. jpeg[..at], .. segment, .. jpeg[at..]];
    }

    /// <summary>Just after SOI and the APPn segments that follow it (JFIF, Exif): where libultrahdr puts its XMP and MPF.</summary>
    private static int ApplicationSegmentsEnd(byte[] jpeg)
    {
        var at = 2;
        while (jpeg[at] == 0xFF && jpeg[at + 1] is >= 0xE0 and <= 0xEF)
        {
            at += 2 + BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(at + 2));
        }

        return at;
    }
}
