using System.Globalization;
using System.Xml.Linq;
using TurnLivePhotos.Media.Jpeg;

namespace TurnLivePhotos.Media.Formats;

/// <summary>
/// Google Motion Photo v1 (also read by Samsung Gallery): the still JPEG with the Motion Photo XMP, then the MP4
/// appended after the JPEG's end, nothing after it. The XMP is one rdf:Description with the GCamera / Container /
/// Item prefixes (what Media3/ExoPlayer-based galleries require), merged into the photo's own XMP if it has one,
/// plus the legacy MicroVideo fields for older readers.
/// </summary>
public static class MotionPhotoWriter
{
    private static readonly XNamespace Rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
    private static readonly XNamespace X = "adobe:ns:meta/";
    private static readonly XNamespace Camera = "http://ns.google.com/photos/1.0/camera/";
    private static readonly XNamespace Container = "http://ns.google.com/photos/1.0/container/";
    private static readonly XNamespace Item = "http://ns.google.com/photos/1.0/container/item/";

    /// <summary>Samsung's field type for the embedded video (stored little-endian as 30 0A).</summary>
    private const ushort SamsungMotionPhotoData = 0x0A30;
    private const int SamsungSefVersion = 106;

    public static void Write(byte[] stillJpeg, byte[] mp4, long presentationTimestampUs, string path, bool samsungTrailer = false) =>
        AtomicFile.WriteAllBytes(path, Compose(stillJpeg, mp4, presentationTimestampUs, samsungTrailer));

    /// <param name="samsungTrailer">
    /// Wrap the video in Samsung's SEF trailer (a MotionPhoto_Data field and the SEFH…SEFT directory) as Samsung
    /// cameras do; the XMP then counts the field header as the primary's padding and the directory as part of the
    /// video item, so "end of file − Length" still lands on the MP4.
    /// </param>
    public static byte[] Compose(byte[] stillJpeg, byte[] mp4, long presentationTimestampUs, bool samsungTrailer = false)
    {
        ArgumentNullException.ThrowIfNull(mp4);
        ArgumentOutOfRangeException.ThrowIfNegative(presentationTimestampUs);
        var (before, after) = samsungTrailer ? SamsungTrailer(mp4.Length) : ([], []);
        var jpeg = JpegFile.Parse(stillJpeg);
        var existing = jpeg.Segments.FirstOrDefault(segment => segment.IsXmp);
        var packet = BuildPacket(existing is null ? null : System.Text.Encoding.UTF8.GetString(existing.Payload, JpegSegment.XmpHeader.Length, existing.Payload.Length - JpegSegment.XmpHeader.Length),
            mp4.Length + after.Length, presentationTimestampUs, before.Length);
        var index = existing is null ? jpeg.MetadataInsertIndex() : jpeg.Segments.IndexOf(existing);
        jpeg.Segments.RemoveAll(segment => segment.IsXmp);
        jpeg.Segments.Insert(Math.Min(index, jpeg.Segments.Count), JpegSegment.Xmp(packet));
        return [.. jpeg.ToArray(), .. before, .. mp4, .. after];
    }

    /// <summary>The bytes before the MP4 (the field header) and after it (the SEF directory), little-endian.</summary>
    private static (byte[] Before, byte[] After) SamsungTrailer(int videoLength)
    {
        var name = "MotionPhoto_Data"u8.ToArray();
        var header = new List<byte> { 0, 0 };
        header.AddRange(BitConverter.GetBytes(SamsungMotionPhotoData));
        header.AddRange(BitConverter.GetBytes(name.Length));
        header.AddRange(name);
        var fieldSize = header.Count + videoLength;

        var directory = new List<byte>("SEFH"u8.ToArray());
        directory.AddRange(BitConverter.GetBytes(SamsungSefVersion));
        directory.AddRange(BitConverter.GetBytes(1));
        directory.AddRange([0, 0]);
        directory.AddRange(BitConverter.GetBytes(SamsungMotionPhotoData));
        directory.AddRange(BitConverter.GetBytes(fieldSize)); // distance from the field's start back from SEFH
        directory.AddRange(BitConverter.GetBytes(fieldSize));
        directory.AddRange(BitConverter.GetBytes(directory.Count));
        directory.AddRange("SEFT"u8.ToArray());
        return ([.. header], [.. directory]);
    }

    /// <summary>The XMP packet: every existing description folded into one, with the motion-photo fields added.</summary>
    public static string BuildPacket(string? existingPacket, long videoLength, long presentationTimestampUs, int primaryPadding = 0)
    {
        var description = new XElement(Rdf + "Description", new XAttribute(Rdf + "about", string.Empty));
        if (existingPacket is not null && TryParse(existingPacket) is { } old)
        {
            foreach (var other in old.Descendants(Rdf + "Description").ToList())
            {
                foreach (var declaration in other.Attributes().Where(a => a.IsNamespaceDeclaration && description.Attribute(a.Name) is null))
                {
                    description.Add(new XAttribute(declaration.Name, declaration.Value));
                }

                foreach (var attribute in other.Attributes().Where(a => !a.IsNamespaceDeclaration && a.Name != Rdf + "about"))
                {
                    description.SetAttributeValue(attribute.Name, attribute.Value);
                }

                description.Add(other.Elements().Where(e => e.Name.Namespace != Container));
            }
        }

        var ts = presentationTimestampUs.ToString(CultureInfo.InvariantCulture);
        var length = videoLength.ToString(CultureInfo.InvariantCulture);
        description.Add(
            new XAttribute(XNamespace.Xmlns + "GCamera", Camera),
            new XAttribute(XNamespace.Xmlns + "Container", Container),
            new XAttribute(XNamespace.Xmlns + "Item", Item));
        description.SetAttributeValue(Camera + "MotionPhoto", "1");
        description.SetAttributeValue(Camera + "MotionPhotoVersion", "1");
        description.SetAttributeValue(Camera + "MotionPhotoPresentationTimestampUs", ts);
        description.SetAttributeValue(Camera + "MicroVideo", "1");
        description.SetAttributeValue(Camera + "MicroVideoVersion", "1");
        description.SetAttributeValue(Camera + "MicroVideoOffset", length);
        description.SetAttributeValue(Camera + "MicroVideoPresentationTimestampUs", ts);
        description.Add(new XElement(Container + "Directory", new XElement(Rdf + "Seq",
            DirectoryItem("image/jpeg", "Primary", "0", primaryPadding.ToString(CultureInfo.InvariantCulture)),
            DirectoryItem("video/mp4", "MotionPhoto", length, "0"))));

        var root = new XElement(X + "xmpmeta",
            new XAttribute(XNamespace.Xmlns + "x", X),
            new XAttribute(X + "xmptk", "TurnLivePhotos"),
            new XElement(Rdf + "RDF", new XAttribute(XNamespace.Xmlns + "rdf", Rdf), description));
        return "<?xpacket begin=\"\uFEFF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
            + root.ToString(SaveOptions.DisableFormatting)
            + "\n<?xpacket end=\"w\"?>";
    }

    private static XElement DirectoryItem(string mime, string semantic, string length, string padding) =>
        new(Rdf + "li", new XAttribute(Rdf + "parseType", "Resource"),
            new XElement(Container + "Item",
                new XAttribute(Item + "Mime", mime),
                new XAttribute(Item + "Semantic", semantic),
                new XAttribute(Item + "Length", length),
                new XAttribute(Item + "Padding", padding)));

    private static XElement? TryParse(string packet)
    {
        var start = packet.IndexOf("<x:xmpmeta", StringComparison.Ordinal);
        if (start < 0)
        {
            start = packet.IndexOf("<rdf:RDF", StringComparison.Ordinal);
        }

        var end = packet.LastIndexOf("<?xpacket end", StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }

        try
        {
            return XElement.Parse(end > start ? packet[start..end] : packet[start..]);
        }
        catch (System.Xml.XmlException)
        {
            return null;
        }
    }
}
