using XmpCore;

namespace TurnLivePhotos.Media.Xmp;

/// <summary>
/// The XMP namespaces the live-photo formats use, registered once with XmpCore under the prefixes Google's own files
/// and Media3 use (GCamera, Container, Item). XmpCore's registry is process-wide and keeps the first prefix a URI was
/// seen with, so registration happens before any packet is parsed by this assembly.
/// </summary>
public static class XmpNamespaces
{
    public const string Camera = "http://ns.google.com/photos/1.0/camera/";
    public const string Container = "http://ns.google.com/photos/1.0/container/";
    public const string Item = "http://ns.google.com/photos/1.0/container/item/";
    public const string HdrGainMap = "http://ns.adobe.com/hdr-gain-map/1.0/";
    public const string Note = "http://ns.adobe.com/xmp/note/";

    static XmpNamespaces()
    {
        var registry = XmpMetaFactory.SchemaRegistry;
        registry.RegisterNamespace(Camera, "GCamera");
        registry.RegisterNamespace(Container, "Container");
        registry.RegisterNamespace(Item, "Item");
        registry.RegisterNamespace(HdrGainMap, "hdrgm");
    }

    /// <summary>Runs the static registration (idempotent); call before parsing or serializing.</summary>
    public static void EnsureRegistered()
    {
    }
}
