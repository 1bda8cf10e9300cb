using System.Text;
using System.Xml;

namespace TurnLivePhotos.Media.Xmp;

/// <summary>
/// The shape an XMP packet must have before XmpCore is given it, checked in one streaming pass (XmlReader, DTDs
/// prohibited, no recursion). XmpCore builds and walks its tree by recursion (ParseRdf, XmpNormalizer, the
/// serializer): nesting must be bounded first, as a deep enough packet ends the process with a stack overflow no
/// catch can stop. And it checks each new field, qualifier or attribute against its named siblings one by one
/// (XmpNode.AssertChildNotExisting and AssertQualifierNotExisting), which is quadratic in the named siblings of one
/// element; array items (rdf:li) are not checked and may be many.
/// </summary>
public static class XmpLimits
{
    /// <summary>Element nesting. Phone XMP (iPhone, Pixel, Samsung, Ultra HDR directories) nests fewer than 15.</summary>
    public const int MaxDepth = 64;

    /// <summary>Attributes plus child elements other than rdf:li of one element (Lightroom's rdf:Description has a few hundred).</summary>
    public const int MaxNamedChildren = 1024;

    /// <summary>Elements plus attributes in one packet.</summary>
    public const int MaxNodes = 100_000;

    /// <summary>
    /// The most bytes one packet may have: an assembled Extended XMP, the largest kind. Google's depth photos carry
    /// the depth map and the original image there as base64, a few MB for a 12-MP photo.
    /// </summary>
    public const int MaxPacketBytes = 16 * 1024 * 1024;

    private const string RdfNamespace = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";

    /// <summary>Why <paramref name="packet"/> must not reach XmpCore, or null when it is within every limit.</summary>
    public static string? Check(ReadOnlySpan<byte> packet)
    {
        if (packet.Length > MaxPacketBytes)
        {
            return $"{packet.Length} bytes, more than the {MaxPacketBytes} read";
        }

        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            CheckCharacters = false, // XmpCore repairs control characters itself (ParseOptions.FixControlChars)
            IgnoreComments = true,
            IgnoreWhitespace = true,
            IgnoreProcessingInstructions = true,
        };

        // Bytes that are not UTF-8 become U+FFFD here (XmpCore retries such packets as Latin-1): the structure,
        // which is all this checks, reads the same either way.
        using var text = new StreamReader(new MemoryStream(packet.ToArray()), new UTF8Encoding(false, false), detectEncodingFromByteOrderMarks: true);
        using var reader = XmlReader.Create(text, settings);
        var namedChildren = new Stack<int>();
        var nodes = 0L;
        try
        {
            while (reader.Read())
            {
                if (reader.NodeType == XmlNodeType.EndElement)
                {
                    namedChildren.Pop();
                    continue;
                }

                if (reader.NodeType != XmlNodeType.Element)
                {
                    continue;
                }

                if (reader.Depth + 1 > MaxDepth)
                {
                    return $"elements nested deeper than {MaxDepth} levels";
                }

                var attributes = reader.AttributeCount;
                nodes += 1 + attributes;
                if (nodes > MaxNodes)
                {
                    return $"more than {MaxNodes} elements and attributes";
                }

                var isItem = reader.LocalName == "li" && reader.NamespaceURI == RdfNamespace;
                if (namedChildren.Count > 0 && !isItem)
                {
                    var siblings = namedChildren.Pop() + 1;
                    namedChildren.Push(siblings);
                    if (siblings > MaxNamedChildren)
                    {
                        return $"an element with more than {MaxNamedChildren} named children and attributes";
                    }
                }

                if (attributes > MaxNamedChildren)
                {
                    return $"an element with more than {MaxNamedChildren} named children and attributes";
                }

                if (!reader.IsEmptyElement)
                {
                    namedChildren.Push(attributes);
                }
            }
        }
        catch (XmlException ex)
        {
            return $"not well-formed XML (line {ex.LineNumber}, position {ex.LinePosition})"; // the parser's message may quote the input
        }

        return null;
    }
}
