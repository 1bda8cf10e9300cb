using System.Security.Cryptography;
using System.Text;
using TurnLivePhotos.Media.Formats;
using TurnLivePhotos.Media.Jpeg;
using TurnLivePhotos.Media.Xmp;
using TurnLivePhotos.Tests.Support;
using XmpCore;

namespace TurnLivePhotos.Tests.Media;

/// <summary>The Motion Photo XMP merged through XmpCore: old motion fields out, the person's XMP kept, one top-level description.</summary>
public sealed class MotionPhotoXmpTests
{
    private const string Rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
    private static readonly byte[] Video = [.. new byte[4], .. "ftypisom"u8, .. new byte[500]];

    [Fact]
    public void A_pixel_motion_photo_gets_our_directory_and_keeps_its_own_extended_xmp()
    {
        var pixel = File.ReadAllBytes(PhoneSamples.PixelMotionPhoto);
        var original = JpegXmp.Read(JpegFile.Parse(pixel))!;
        var makerNote = original.GetPropertyString(XmpNamespaces.Camera, "hdrp_makernote");
        Assert.False(string.IsNullOrEmpty(makerNote)); // it lives in the sample's Extended XMP

        var written = MotionPhotoWriter.Compose(pixel, Video, 1_250_000);

        var jpeg = JpegFile.Parse(written);
        var packet = StandardPacket(jpeg);
        AssertEveryDescriptionIsAMotionPhoto(packet);
        var xmp = JpegXmp.Read(jpeg)!;
        Assert.Equal("1250000", xmp.GetPropertyString(XmpNamespaces.Camera, "MotionPhotoPresentationTimestampUs"));
        Assert.Equal(2, xmp.CountArrayItems(XmpNamespaces.Container, "Directory"));
        Assert.Equal(Video.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), Field(xmp, 2, "Length"));
        Assert.Equal(makerNote, xmp.GetPropertyString(XmpNamespaces.Camera, "hdrp_makernote"));
        Assert.Equal(Video, written[^Video.Length..]);
        Assert.Equal(written.Length - Video.Length, jpeg.ToArray().Length);
    }

    [Fact]
    public void Old_microvideo_fields_go_and_nested_structures_stay_nested()
    {
        var photo = WithXmp(TestPhotos.Scene(64, 48), """
            <x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
            <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:Camera="http://ns.google.com/photos/1.0/camera/"
              Camera:MicroVideo="1" Camera:MicroVideoOffset="98765" Camera:MicroVideoPresentationTimestampUs="-1">
              <dc:title><rdf:Alt><rdf:li xml:lang="x-default">Quay</rdf:li></rdf:Alt></dc:title></rdf:Description>
            <rdf:Description rdf:about="" xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/" xmlns:stEvt="http://ns.adobe.com/xap/1.0/sType/ResourceEvent#">
              <xmpMM:History><rdf:Seq>
                <rdf:li><rdf:Description stEvt:action="created" stEvt:when="2024-05-01T12:00:00"/></rdf:li>
                <rdf:li><rdf:Description stEvt:action="saved" stEvt:softwareAgent="Editor 2"/></rdf:li>
              </rdf:Seq></xmpMM:History></rdf:Description>
            </rdf:RDF></x:xmpmeta>
            """);

        var written = MotionPhotoWriter.Compose(photo, Video, 0);

        var jpeg = JpegFile.Parse(written);
        AssertEveryDescriptionIsAMotionPhoto(StandardPacket(jpeg));
        var xmp = JpegXmp.Read(jpeg)!;
        Assert.Equal(Video.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), xmp.GetPropertyString(XmpNamespaces.Camera, "MicroVideoOffset"));
        Assert.Equal("0", xmp.GetPropertyString(XmpNamespaces.Camera, "MicroVideoPresentationTimestampUs"));
        Assert.Equal("Quay", xmp.GetLocalizedText("http://purl.org/dc/elements/1.1/", "title", null, "x-default").Value);
        const string mm = "http://ns.adobe.com/xap/1.0/mm/";
        const string evt = "http://ns.adobe.com/xap/1.0/sType/ResourceEvent#";
        Assert.Equal(2, xmp.CountArrayItems(mm, "History"));
        Assert.Equal("created", xmp.GetStructField(mm, "History[1]", evt, "action").Value);
        Assert.Equal("Editor 2", xmp.GetStructField(mm, "History[2]", evt, "softwareAgent").Value);
    }

    [Fact]
    public void Xmp_padded_with_nuls_is_read_and_its_fields_kept()
    {
        var packet = Encoding.UTF8.GetBytes("""<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="G998B"/></rdf:RDF></x:xmpmeta>""");
        var photo = WithXmpBytes(TestPhotos.Scene(64, 48), [.. packet, .. new byte[3000]]);

        var xmp = JpegXmp.Read(JpegFile.Parse(MotionPhotoWriter.Compose(photo, Video, 0)))!;

        Assert.Equal("G998B", xmp.GetPropertyString("http://ns.adobe.com/xap/1.0/", "CreatorTool"));
        Assert.Equal("1", xmp.GetPropertyString(XmpNamespaces.Camera, "MotionPhoto"));
    }

    [Fact]
    public void Xmp_too_big_for_one_segment_moves_to_extended_xmp_with_its_md5_and_the_motion_fields_stay_standard()
    {
        var large = string.Concat(Enumerable.Range(0, 5350).Select(i => $"line {i:D5}; "));
        var photo = WithXmp(TestPhotos.Scene(64, 48), $"""<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="{Rdf}"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" dc:source="{large}"/></rdf:RDF></x:xmpmeta>""");

        var jpeg = JpegFile.Parse(MotionPhotoWriter.Compose(photo, Video, 0));

        var standard = StandardPacket(jpeg);
        AssertEveryDescriptionIsAMotionPhoto(standard);
        Assert.DoesNotContain("line 00001", standard, StringComparison.Ordinal);
        var chunks = jpeg.Segments.Where(JpegXmp.IsExtension).ToList();
        Assert.NotEmpty(chunks);
        var extended = new byte[System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(chunks[0].Payload.AsSpan(67))];
        foreach (var chunk in chunks)
        {
            chunk.Payload.AsSpan(75).CopyTo(extended.AsSpan((int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(chunk.Payload.AsSpan(71))));
        }

        var guid = Convert.ToHexString(MD5.HashData(extended));
        Assert.Contains($"xmpNote:HasExtendedXMP=\"{guid}\"", standard, StringComparison.Ordinal);
        Assert.All(chunks, chunk => Assert.Equal(guid, Encoding.ASCII.GetString(chunk.Payload, 35, 32)));
        Assert.Equal(large, JpegXmp.Read(jpeg)!.GetPropertyString("http://purl.org/dc/elements/1.1/", "source"));
    }

    [Fact]
    public void The_apple_still_of_a_motion_photo_input_carries_no_motion_fields_and_no_trailer()
    {
        using var folder = new TempFolder();
        var pixel = File.ReadAllBytes(PhoneSamples.PixelMotionPhoto);
        var upright = StillPhoto.Prepare(pixel).Jpeg;
        var movie = File.ReadAllBytes(PhoneSamples.PixelMotionPhoto)[^8730..]; // the sample's own MP4 (moov last)

        var live = LivePhotoWriter.Write(upright, 16, 16, movie, 0.5, folder.Path, "P");

        var still = File.ReadAllBytes(live.Still);
        var jpeg = JpegFile.Parse(still);
        Assert.Equal(still.Length, jpeg.ToArray().Length);
        var xmp = JpegXmp.Read(jpeg)!;
        Assert.False(xmp.DoesPropertyExist(XmpNamespaces.Camera, "MotionPhoto"));
        Assert.False(xmp.DoesPropertyExist(XmpNamespaces.Container, "Directory"));
        Assert.True(xmp.DoesPropertyExist(XmpNamespaces.Camera, "hdrp_makernote"));
    }

    private static string? Field(IXmpMeta xmp, int index, string field) =>
        xmp.GetStructField(XmpNamespaces.Container, $"Directory[{index}]/Container:Item", XmpNamespaces.Item, field)?.Value;

    /// <summary>Media3's parser gives up at any rdf:Description without GCamera:MotionPhoto="1"; check every one.</summary>
    private static void AssertEveryDescriptionIsAMotionPhoto(string packet)
    {
        var descriptions = System.Xml.Linq.XDocument.Parse(packet[packet.IndexOf("<x:xmpmeta", StringComparison.Ordinal)..(packet.LastIndexOf("</x:xmpmeta>", StringComparison.Ordinal) + 12)])
            .Descendants(System.Xml.Linq.XName.Get("Description", Rdf)).ToList();
        var description = Assert.Single(descriptions);
        Assert.Equal("1", (string?)description.Attribute(System.Xml.Linq.XName.Get("MotionPhoto", XmpNamespaces.Camera)));
        Assert.Contains("xmlns:Container=", packet, StringComparison.Ordinal);
        Assert.Contains("<Container:Item", packet, StringComparison.Ordinal);
        Assert.Contains("Item:Mime=\"video/mp4\"", packet, StringComparison.Ordinal);
    }

    private static string StandardPacket(JpegFile jpeg) =>
        Encoding.UTF8.GetString(Assert.Single(jpeg.Segments, s => s.IsXmp).Payload.AsSpan(JpegSegment.XmpHeader.Length));

    private static byte[] WithXmp(byte[] jpeg, string packet) => WithXmpBytes(jpeg, Encoding.UTF8.GetBytes(packet));

    private static byte[] WithXmpBytes(byte[] jpeg, byte[] packet)
    {
        var file = JpegFile.Parse(jpeg);
        file.Segments.RemoveAll(s => s.IsXmp);
        file.Segments.Insert(file.MetadataInsertIndex(), new JpegSegment(0xE1, [.. JpegSegment.XmpHeader, .. packet]));
        return file.ToArray();
    }
}
