using System.Buffers.Binary;
using System.Text;
using TurnLivePhotos.Media.Xmp;
using XmpCore;

namespace TurnLivePhotos.Media.Jpeg;

/// <summary>
/// The XMP of a JPEG: the standard APP1 packet and the Extended XMP segments it announces, read into one XmpCore
/// model and written back as one standard packet (plus Extended XMP only when it does not fit), right after the
/// Exif APP1 where cameras put it.
/// </summary>
public static class JpegXmp
{
    public static readonly byte[] ExtensionHeader = "http://ns.adobe.com/xmp/extension/\0"u8.ToArray();

    /// <summary>How many standard packets are tried before giving up (cameras write one; each try parses up to 64 KB).</summary>
    public const int MaxPacketsTried = 4;

    public static bool IsExtension(JpegSegment segment) => segment.Marker == 0xE1 && segment.Payload.AsSpan().StartsWith(ExtensionHeader);

    /// <summary>
    /// The photo's XMP with any Extended XMP merged in, or null when it has none (or none readable). Packets that
    /// are unreadable or over a limit (<see cref="XmpLimits"/>) are left out, each with a note in <paramref name="notes"/>.
    /// </summary>
    public static IXmpMeta? Read(JpegFile jpeg, ICollection<MetadataNote>? notes = null)
    {
        ArgumentNullException.ThrowIfNull(jpeg);
        IXmpMeta? meta = null;
        foreach (var segment in jpeg.Segments.Where(s => s.IsXmp).Take(MaxPacketsTried))
        {
            // Media3 and most readers take the first packet that parses; do the same.
            meta = XmpPacket.TryParse(segment.Payload.AsSpan(JpegSegment.XmpHeader.Length), out var problem);
            if (problem is not null)
            {
                notes?.Add(new MetadataNote(MetadataPart.Xmp, $"a packet was dropped: {problem}"));
            }

            if (meta is not null)
            {
                break;
            }
        }

        if (meta is null || XmpPacket.ExtendedGuid(meta) is not { } guid)
        {
            return meta;
        }

        var (extended, missing) = AssembleExtension(jpeg, guid);
        string? extendedProblem = missing;
        if (extended is not null && XmpPacket.TryParse(extended, out extendedProblem) is { } extendedMeta)
        {
            XmpPacket.MergeExtended(meta, extendedMeta);
        }
        else
        {
            meta.DeleteProperty(XmpNamespaces.Note, "HasExtendedXMP");
            if (extendedProblem is not null)
            {
                notes?.Add(new MetadataNote(MetadataPart.ExtendedXmp, $"dropped: {extendedProblem}"));
            }
        }

        return meta;
    }

    /// <summary>
    /// Leaves out of <paramref name="jpeg"/> the XMP that <see cref="Read"/> cannot take (unreadable, over a limit,
    /// an incomplete Extended XMP) and says what went: the XMP that remains is rewritten from what was read, so
    /// every later reader of this file sees only XMP within the limits. A file whose XMP all reads is not touched.
    /// </summary>
    public static IReadOnlyList<MetadataNote> DropUnreadable(JpegFile jpeg)
    {
        var notes = new List<MetadataNote>();
        var meta = Read(jpeg, notes);
        if (notes.Count > 0)
        {
            Write(jpeg, meta, MotionPhotoXmp.KeepInStandardPacket);
        }

        return notes;
    }

    /// <summary>Replaces every XMP and Extended XMP segment with <paramref name="meta"/> (nothing when null).</summary>
    public static void Write(JpegFile jpeg, IXmpMeta? meta, Func<string, string, bool> keepInStandardPacket)
    {
        ArgumentNullException.ThrowIfNull(jpeg);
        var firstXmp = jpeg.Segments.FindIndex(s => s.IsXmp || IsExtension(s));
        jpeg.Segments.RemoveAll(s => s.IsXmp || IsExtension(s));
        if (meta is null || XmpPacket.TopLevelProperties(meta).Count == 0)
        {
            return; // nothing left to say: no empty packet
        }

        var (standard, extended, guid) = XmpPacket.Split(meta, keepInStandardPacket);
        var segments = new List<JpegSegment> { new(0xE1, [.. JpegSegment.XmpHeader, .. standard]) };
        if (extended is not null)
        {
            for (var offset = 0; offset < extended.Length; offset += XmpPacket.MaxExtensionChunk)
            {
                var chunk = extended.AsSpan(offset, Math.Min(XmpPacket.MaxExtensionChunk, extended.Length - offset));
                var payload = new byte[ExtensionHeader.Length + 32 + 8 + chunk.Length];
                ExtensionHeader.CopyTo(payload, 0);
                Encoding.ASCII.GetBytes(guid!).CopyTo(payload, ExtensionHeader.Length);
                BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(ExtensionHeader.Length + 32), (uint)extended.Length);
                BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(ExtensionHeader.Length + 36), (uint)offset);
                chunk.CopyTo(payload.AsSpan(ExtensionHeader.Length + 40));
                segments.Add(new JpegSegment(0xE1, payload));
            }
        }

        var at = firstXmp >= 0 ? Math.Min(firstXmp, jpeg.Segments.Count) : jpeg.MetadataInsertIndex();
        jpeg.Segments.InsertRange(Math.Max(at, jpeg.MetadataInsertIndex()), segments);
    }

    /// <summary>
    /// The Extended XMP with this GUID, put together from its chunks by offset (Adobe XMP specification part 3,
    /// 1.1.3.1); null with the reason when it is incomplete, inconsistent or longer than <see cref="XmpLimits.MaxPacketBytes"/>.
    /// </summary>
    private static (byte[]? Whole, string? Problem) AssembleExtension(JpegFile jpeg, string guid)
    {
        byte[]? whole = null;
        var filled = 0L;
        foreach (var segment in jpeg.Segments.Where(IsExtension))
        {
            var payload = segment.Payload;
            var headerEnd = ExtensionHeader.Length + 40;
            if (payload.Length < headerEnd || Encoding.ASCII.GetString(payload, ExtensionHeader.Length, 32) != guid)
            {
                continue;
            }

            var length = BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(ExtensionHeader.Length + 32));
            var offset = BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(ExtensionHeader.Length + 36));
            if (length > XmpLimits.MaxPacketBytes)
            {
                return (null, $"{length} bytes announced, more than the {XmpLimits.MaxPacketBytes} read");
            }

            whole ??= new byte[length];
            var size = payload.Length - headerEnd;
            if (whole.Length != length || (long)offset + size > length)
            {
                return (null, "its chunks disagree on its length or lie outside it");
            }

            payload.AsSpan(headerEnd).CopyTo(whole.AsSpan((int)offset));
            filled += size;
        }

        return whole is null ? (null, "announced but absent")
            : filled < whole.Length ? (null, "incomplete (chunks are missing)")
            : (whole, null);
    }
}
