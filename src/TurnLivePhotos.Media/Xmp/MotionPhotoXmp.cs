using System.Globalization;
using XmpCore;
using XmpCore.Options;

namespace TurnLivePhotos.Media.Xmp;

/// <summary>One Container:Directory item of a Motion Photo (Primary, GainMap or MotionPhoto).</summary>
public sealed record ContainerItem(string Mime, string Semantic, long Length, long Padding);

/// <summary>
/// The Motion Photo fields in an XmpCore model: old motion-photo properties (Motion Photo v1, MicroVideo, another
/// writer's Container:Directory) removed, ours set. Everything else the person's XMP had stays as it was.
/// </summary>
public static class MotionPhotoXmp
{
    /// <summary>Properties of the camera namespace that describe an embedded video (Google v1 and legacy MicroVideo, also written by Samsung).</summary>
    private static readonly string[] MotionPrefixes = ["MotionPhoto", "MicroVideo"];

    /// <summary>Removes every motion-photo property: the still no longer carries the old video, or carries ours.</summary>
    public static void RemoveMotion(IXmpMeta meta)
    {
        ArgumentNullException.ThrowIfNull(meta);
        XmpNamespaces.EnsureRegistered();
        foreach (var (ns, path) in XmpPacket.TopLevelProperties(meta))
        {
            var name = path[(path.IndexOf(':', StringComparison.Ordinal) + 1)..];
            if ((ns == XmpNamespaces.Camera && MotionPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal)))
                || (ns == XmpNamespaces.Container && name == "Directory"))
            {
                meta.DeleteProperty(ns, path);
            }
        }
    }

    /// <summary>Sets the Motion Photo v1 fields, the legacy MicroVideo fields and the Container directory.</summary>
    public static void Apply(IXmpMeta meta, IReadOnlyList<ContainerItem> items, long presentationTimestampUs)
    {
        ArgumentNullException.ThrowIfNull(meta);
        ArgumentNullException.ThrowIfNull(items);
        RemoveMotion(meta);
        var ts = presentationTimestampUs.ToString(CultureInfo.InvariantCulture);
        var video = items[^1];
        var fromEnd = video.Length.ToString(CultureInfo.InvariantCulture);
        meta.SetProperty(XmpNamespaces.Camera, "MotionPhoto", "1");
        meta.SetProperty(XmpNamespaces.Camera, "MotionPhotoVersion", "1");
        meta.SetProperty(XmpNamespaces.Camera, "MotionPhotoPresentationTimestampUs", ts);
        meta.SetProperty(XmpNamespaces.Camera, "MicroVideo", "1");
        meta.SetProperty(XmpNamespaces.Camera, "MicroVideoVersion", "1");
        meta.SetProperty(XmpNamespaces.Camera, "MicroVideoOffset", fromEnd);
        meta.SetProperty(XmpNamespaces.Camera, "MicroVideoPresentationTimestampUs", ts);
        SetDirectory(meta, items);
    }

    /// <summary>
    /// Replaces the Container:Directory with <paramref name="items"/>, in file order (the Primary first): a motion
    /// photo's, or an Ultra HDR still's Primary and GainMap.
    /// </summary>
    public static void SetDirectory(IXmpMeta meta, IReadOnlyList<ContainerItem> items)
    {
        ArgumentNullException.ThrowIfNull(meta);
        ArgumentNullException.ThrowIfNull(items);
        XmpNamespaces.EnsureRegistered();
        meta.DeleteProperty(XmpNamespaces.Container, "Directory");
        var itemPath = XmpPathFactory.ComposeStructFieldPath(XmpNamespaces.Container, "Item");
        foreach (var item in items)
        {
            meta.AppendArrayItem(XmpNamespaces.Container, "Directory", new PropertyOptions { IsArrayOrdered = true }, null, new PropertyOptions { IsStruct = true });
            var entry = "Directory[last()]" + itemPath;
            meta.SetStructField(XmpNamespaces.Container, "Directory[last()]", XmpNamespaces.Container, "Item", null, new PropertyOptions { IsStruct = true });
            meta.SetStructField(XmpNamespaces.Container, entry, XmpNamespaces.Item, "Mime", item.Mime);
            meta.SetStructField(XmpNamespaces.Container, entry, XmpNamespaces.Item, "Semantic", item.Semantic);
            meta.SetStructField(XmpNamespaces.Container, entry, XmpNamespaces.Item, "Length", item.Length.ToString(CultureInfo.InvariantCulture));
            meta.SetStructField(XmpNamespaces.Container, entry, XmpNamespaces.Item, "Padding", item.Padding.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>
    /// What must stay in the standard packet when the XMP needs Extended XMP: the motion-photo fields, the
    /// directory and the gain-map version (readers look for them there only).
    /// </summary>
    public static bool KeepInStandardPacket(string ns, string path)
    {
        var name = path[(path.IndexOf(':', StringComparison.Ordinal) + 1)..];
        return (ns == XmpNamespaces.Camera && MotionPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal)))
            || ns is XmpNamespaces.Container or XmpNamespaces.HdrGainMap;
    }

    /// <summary>A new, empty model for a photo without XMP.</summary>
    public static IXmpMeta Create()
    {
        XmpNamespaces.EnsureRegistered();
        return XmpMetaFactory.Create();
    }
}
