using TurnLivePhotos.Media.Xmp;

namespace TurnLivePhotos.Media.Jpeg;

/// <summary>
/// The gain map of an Ultra HDR JPEG (Android Ultra HDR image format v1): a second JPEG right after the primary's
/// EOI, announced three ways in the primary — the hdrgm XMP fields (hdrgm:Version), the Container:Directory's
/// GainMap item with its length, and the MPF APP2 index (CIPA DC-007) with its size and offset. A still that keeps
/// the gain map keeps all three, rewritten for where the gain map now sits; a still that loses it loses all three.
/// </summary>
public static class UltraHdrGainMap
{
    /// <summary>The APP2 signature of ISO 21496-1 gain-map metadata (Android 15 writes it beside the hdrgm XMP).</summary>
    public static readonly byte[] IsoSignature = "urn:iso:std:iso:ts:21496:-1\0"u8.ToArray();

    public static bool IsIsoMetadata(JpegSegment segment) =>
        segment.Marker == 0xE2 && segment.Payload.AsSpan().StartsWith(IsoSignature);

    /// <summary>
    /// The gain-map JPEG of <paramref name="original"/> (parsed as <paramref name="primary"/>), byte for byte; null
    /// when the photo is not Ultra HDR: no hdrgm XMP in the primary, no MPF index, or no indexed image inside the
    /// file that is itself a JPEG with gain-map metadata (other MPF images, such as a camera's large preview, are not
    /// gain maps and are not carried). Entries are looked at in file order and only where they do not overlap one
    /// already looked at, so no byte of the file is parsed twice however many entries the index lists; entries that
    /// point outside the file or into another are skipped with a note in <paramref name="notes"/>.
    /// </summary>
    public static byte[]? Find(byte[] original, JpegFile primary, ICollection<MetadataNote>? notes = null)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(primary);
        var index = primary.Segments.Find(MultiPictureIndex.IsIndex);
        if (index is null || primary.SourceOffsetOf(index) is not { } indexAt || !HasGainMapFields(JpegXmp.Read(primary)))
        {
            return null;
        }

        if (MultiPictureIndex.Read(index.Payload) is not { } entries)
        {
            notes?.Add(new MetadataNote(MetadataPart.MultiPictureIndex, "unreadable, so no gain map was kept"));
            return null;
        }

        var tiffHeader = (long)indexAt + MultiPictureIndex.MarkerToTiffHeader;
        var lookedAtUpTo = (long)primary.SourceLength;
        var outside = 0;
        byte[]? gainMap = null;
        foreach (var entry in entries.Skip(1).OrderBy(entry => entry.Offset))
        {
            var start = tiffHeader + entry.Offset;
            if (start < lookedAtUpTo || start + entry.Size > original.Length)
            {
                outside++;
                continue;
            }

            if (gainMap is not null || entry.Size < 4 || original[start] != 0xFF || original[start + 1] != 0xD8)
            {
                continue;
            }

            lookedAtUpTo = start + entry.Size;
            var candidate = original[(int)start..(int)(start + entry.Size)];
            try
            {
                var image = JpegFile.Parse(candidate);
                if (image.Segments.Exists(IsIsoMetadata) || HasGainMapFields(JpegXmp.Read(image)))
                {
                    gainMap = candidate;
                }
            }
            catch (FormatException)
            {
                // not a JPEG after all: look at the next entry
            }
        }

        if (outside > 0)
        {
            notes?.Add(new MetadataNote(MetadataPart.MultiPictureIndex, $"{outside} entries skipped: they point outside the file or into the primary or another image"));
        }

        return gainMap;
    }

    /// <summary>
    /// Removes every trace of a gain map from a primary that will be written without one: the MPF index, the ISO
    /// 21496-1 segment, the hdrgm fields and the Container:Directory that lists it.
    /// </summary>
    public static void Drop(JpegFile primary)
    {
        ArgumentNullException.ThrowIfNull(primary);
        primary.Segments.RemoveAll(segment => MultiPictureIndex.IsIndex(segment) || IsIsoMetadata(segment));
        if (JpegXmp.Read(primary) is not { } xmp)
        {
            return;
        }

        var gainMapFields = XmpPacket.TopLevelProperties(xmp).Where(p => p.Namespace == XmpNamespaces.HdrGainMap).ToList();
        var directory = xmp.DoesPropertyExist(XmpNamespaces.Container, "Directory");
        if (gainMapFields.Count == 0 && !directory)
        {
            return;
        }

        foreach (var (ns, path) in gainMapFields)
        {
            xmp.DeleteProperty(ns, path);
        }

        xmp.DeleteProperty(XmpNamespaces.Container, "Directory");
        JpegXmp.Write(primary, xmp, MotionPhotoXmp.KeepInStandardPacket);
    }

    /// <summary>
    /// The primary (its XMP already naming the gain map) with its MPF index rewritten for this primary's final size,
    /// followed by the gain map: what an Ultra HDR file is. The index stays where the photo had it (after the XMP,
    /// ICC and ISO segments, where libultrahdr puts it) and lists exactly the primary and the gain map.
    /// </summary>
    public static byte[] Join(JpegFile primary, byte[] gainMap)
    {
        ArgumentNullException.ThrowIfNull(primary);
        ArgumentNullException.ThrowIfNull(gainMap);
        var at = primary.Segments.FindIndex(MultiPictureIndex.IsIndex);
        primary.Segments.RemoveAll(MultiPictureIndex.IsIndex);
        if (at < 0 || at > primary.Segments.Count)
        {
            at = primary.Segments.FindLastIndex(segment => segment.Marker is >= 0xE0 and <= 0xEF) + 1;
        }

        // The index's size depends only on its entry count, so lay it out once with placeholders, measure, then fill in.
        primary.Segments.Insert(at, new JpegSegment(0xE2, MultiPictureIndex.Write([new(0, 0, 0), new(0, 0, 0)])));
        var primaryLength = primary.ToArray().Length;
        var indexAt = 2 + primary.Segments.Take(at).Sum(segment => 4 + segment.Payload.Length);
        var gainMapOffset = primaryLength - (indexAt + MultiPictureIndex.MarkerToTiffHeader);
        primary.Segments[at] = new JpegSegment(0xE2, MultiPictureIndex.Write(
        [
            new(MultiPictureEntry.PrimaryImage, (uint)primaryLength, 0),
            new(MultiPictureEntry.UndefinedJpeg, (uint)gainMap.Length, (uint)gainMapOffset),
        ]));
        return Bytes.Concat(primary.ToArray(), gainMap);
    }

    private static bool HasGainMapFields(XmpCore.IXmpMeta? xmp) =>
        xmp is not null && XmpPacket.TopLevelProperties(xmp).Exists(p => p.Namespace == XmpNamespaces.HdrGainMap);
}
