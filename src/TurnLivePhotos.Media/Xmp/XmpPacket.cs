using System.Security.Cryptography;
using System.Text;
using XmpCore;
using XmpIterator = XmpCore.Impl.XmpIterator;
using XmpMeta = XmpCore.Impl.XmpMeta;
using XmpCore.Options;

namespace TurnLivePhotos.Media.Xmp;

/// <summary>
/// XMP as a data model (Adobe's XMP Core port, XmpCore): parsed from a packet and its Extended XMP, edited as
/// properties, serialized back. No string surgery: every namespace, nesting and qualifier the person's XMP had is
/// kept by the model and written out again in one top-level rdf:Description.
/// </summary>
public static class XmpPacket
{
    /// <summary>The most XMP one JPEG APP1 segment holds after its 29-byte header.</summary>
    public const int MaxStandardBytes = 65502;

    /// <summary>The most Extended XMP one APP1 segment holds after its 75-byte header (signature, GUID, length, offset).</summary>
    public const int MaxExtensionChunk = 65458;

    /// <summary>
    /// Parses a packet as stored in a file: trailing NULs (Samsung pads its XMP with them) and whitespace are
    /// ignored. Returns null for a packet XmpCore cannot read or that is over a limit of <see cref="XmpLimits"/> —
    /// such XMP is dropped rather than guessed at.
    /// </summary>
    public static IXmpMeta? TryParse(ReadOnlySpan<byte> packet) => TryParse(packet, out _);

    /// <summary>As <see cref="TryParse(ReadOnlySpan{byte})"/>; <paramref name="problem"/> says why a packet was dropped (null when empty or read).</summary>
    public static IXmpMeta? TryParse(ReadOnlySpan<byte> packet, out string? problem)
    {
        problem = null;
        XmpNamespaces.EnsureRegistered();
        var end = packet.Length;
        while (end > 0 && packet[end - 1] is 0 or (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')
        {
            end--;
        }

        var start = 0;
        while (start < end && packet[start] == 0)
        {
            start++;
        }

        if (end <= start)
        {
            return null;
        }

        // Checked before XmpCore sees a byte: its parser recurses once per nesting level.
        problem = XmpLimits.Check(packet[start..end]);
        if (problem is not null)
        {
            return null;
        }

        try
        {
            return XmpMetaFactory.ParseFromBuffer(packet[start..end].ToArray(), new ParseOptions { RequireXmpMeta = false });
        }
        catch (XmpException ex)
        {
            problem = $"unreadable ({ex.ErrorCode})";
            return null;
        }
    }

    /// <summary>The Extended XMP GUID the main packet announces (xmpNote:HasExtendedXMP), if any.</summary>
    public static string? ExtendedGuid(IXmpMeta meta) =>
        meta.DoesPropertyExist(XmpNamespaces.Note, "HasExtendedXMP") ? meta.GetPropertyString(XmpNamespaces.Note, "HasExtendedXMP") : null;

    /// <summary>Copies every property of <paramref name="extended"/> into <paramref name="main"/> and drops the announcement.</summary>
    public static void MergeExtended(IXmpMeta main, IXmpMeta extended)
    {
        XmpUtils.AppendProperties(extended, main, doAllProperties: true, replaceOldValues: false, deleteEmptyValues: false);
        main.DeleteProperty(XmpNamespaces.Note, "HasExtendedXMP");
    }

    /// <summary>One packet with the xpacket wrapper, UTF-8, compact RDF (simple properties as attributes).</summary>
    public static byte[] Serialize(IXmpMeta meta, bool wrapper = true)
    {
        XmpNamespaces.EnsureRegistered();
        var text = XmpMetaFactory.SerializeToString(meta, new SerializeOptions
        {
            UseCompactFormat = true,
            OmitPacketWrapper = !wrapper,
            Padding = 0,
        });
        return Encoding.UTF8.GetBytes(text.TrimStart('\uFEFF'));
    }

    /// <summary>
    /// The standard packet and, when everything does not fit in one segment, the Extended XMP (Adobe XMP
    /// specification part 3, 1.1.3.1): properties named by <paramref name="keepInMain"/> stay in the standard
    /// packet with xmpNote:HasExtendedXMP = the MD5 of the extended serialization; all others move to the extended one.
    /// </summary>
    public static (byte[] Standard, byte[]? Extended, string? Guid) Split(IXmpMeta meta, Func<string, string, bool> keepInMain)
    {
        meta.DeleteProperty(XmpNamespaces.Note, "HasExtendedXMP");
        var whole = Serialize(meta);
        if (whole.Length <= MaxStandardBytes)
        {
            return (whole, null, null);
        }

        var main = meta.Clone();
        var extended = meta.Clone();
        foreach (var (ns, path) in TopLevelProperties(meta))
        {
            (keepInMain(ns, path) ? extended : main).DeleteProperty(ns, path);
        }

        var extendedBytes = Serialize(extended, wrapper: false);
        var guid = Convert.ToHexString(MD5.HashData(extendedBytes));
        main.SetProperty(XmpNamespaces.Note, "HasExtendedXMP", guid);
        var standard = Serialize(main);
        if (standard.Length > MaxStandardBytes)
        {
            throw new InvalidOperationException($"the XMP that must stay in the standard packet is {standard.Length} bytes, more than one JPEG segment holds ({MaxStandardBytes})");
        }

        return (standard, extendedBytes, guid);
    }

    /// <summary>
    /// (namespace, name) of every top-level property, schema by schema. Only the root's and the schemas' children
    /// are visited (IteratorOptions.JustChildren): the full iterator (<c>IXmpMeta.Properties</c>) asks each nested
    /// level twice whether it has a next node, which doubles its work with every level of nesting.
    /// </summary>
    public static List<(string Namespace, string Path)> TopLevelProperties(IXmpMeta meta)
    {
        ArgumentNullException.ThrowIfNull(meta);
        var tree = meta as XmpMeta ?? throw new ArgumentException($"an XMP model made by XmpCore was expected, not {meta.GetType().Name}", nameof(meta));
        var justChildren = new IteratorOptions { IsJustChildren = true, IsOmitQualifiers = true };
        var schemas = Children(new XmpIterator(tree, null, null, justChildren)).Select(schema => schema.Namespace).Distinct().ToList();
        return schemas
            .SelectMany(schema => Children(new XmpIterator(tree, schema, null, justChildren)))
            .Where(p => !string.IsNullOrEmpty(p.Path) && p.Path.IndexOfAny(['/', '[', '?']) < 0)
            .Select(p => (p.Namespace, p.Path))
            .Distinct()
            .ToList();

        static IEnumerable<IXmpPropertyInfo> Children(XmpIterator iterator)
        {
            while (iterator.HasNext())
            {
                yield return (IXmpPropertyInfo)iterator.Next();
            }
        }
    }
}
