using TurnLivePhotos.Media.Jpeg;
using TurnLivePhotos.Media.Xmp;

namespace TurnLivePhotos.Media.Formats;

/// <summary>
/// Google Motion Photo v1 (also read by Samsung Gallery): the still JPEG with the Motion Photo XMP, then the MP4
/// appended after the JPEG's end, nothing after it. The XMP is the photo's own, read into XmpCore's model with its
/// Extended XMP, any older motion-photo fields removed and ours set, serialized as one rdf:Description with the
/// GCamera / Container / Item prefixes (what Media3/ExoPlayer-based galleries require), plus the legacy MicroVideo
/// fields for older readers. An Ultra HDR still keeps its gain map between the primary and the video, and the
/// directory lists Primary, GainMap and MotionPhoto with their exact lengths in file order, as a Pixel 8 writes it.
/// </summary>
public static class MotionPhotoWriter
{
    /// <summary>Samsung's field type for the embedded video (stored little-endian as 30 0A).</summary>
    private const ushort SamsungMotionPhotoData = 0x0A30;

    /// <summary>Samsung's field type for the motion-photo version string (30 0A's neighbour, 31 0A).</summary>
    private const ushort SamsungMotionPhotoVersion = 0x0A31;

    /// <summary>The SEF version current One UI cameras write, with MotionPhoto_Version beside MotionPhoto_Data.</summary>
    private const int SamsungSefVersion = 107;

    public static void Write(PreparedStill still, byte[] mp4, long presentationTimestampUs, string path, bool samsungTrailer = false)
    {
        ArgumentNullException.ThrowIfNull(still);
        AtomicFile.WriteAllBytes(path, Compose(still.Jpeg, mp4, presentationTimestampUs, samsungTrailer, still.GainMap));
    }

    /// <param name="samsungTrailer">
    /// Wrap the video in Samsung's SEF trailer (a MotionPhoto_Data field and the SEFH…SEFT directory) as Samsung
    /// cameras do; the directory (SEFH…SEFT) counts as part of the video item, so "end of file − Length" still lands
    /// on the MP4. The field header goes to the item before the video: Media3 (MotionPhotoDescription) documents
    /// Padding for the primary item only — bytes between it and the next item — and 0 for every other, so with no
    /// gain map it is the primary's padding, and after a gain map it is counted in the gain map item's Length (the
    /// JPEG ends at its EOI; Ultra HDR readers find it through the MPF index). Either way Media3's walk back from the
    /// end of the file and exiftool's walk forward from the primary both land on every item's first byte.
    /// </param>
    /// <param name="gainMap">An Ultra HDR gain-map JPEG to keep after the primary (see <see cref="PreparedStill.GainMap"/>).</param>
    public static byte[] Compose(byte[] stillJpeg, byte[] mp4, long presentationTimestampUs, bool samsungTrailer = false, byte[]? gainMap = null)
    {
        ArgumentNullException.ThrowIfNull(mp4);
        ArgumentOutOfRangeException.ThrowIfNegative(presentationTimestampUs);
        var (before, after) = samsungTrailer ? SamsungTrailer(mp4.Length) : ([], []);
        var jpeg = JpegFile.Parse(stillJpeg);
        var xmp = JpegXmp.Read(jpeg) ?? MotionPhotoXmp.Create();
        var video = new ContainerItem("video/mp4", "MotionPhoto", mp4.Length + after.Length, 0);
        MotionPhotoXmp.Apply(xmp,
            gainMap is null
                ? [new ContainerItem("image/jpeg", "Primary", 0, before.Length), video]
                : [new ContainerItem("image/jpeg", "Primary", 0, 0), new ContainerItem("image/jpeg", "GainMap", gainMap.Length + before.Length, 0), video],
            presentationTimestampUs);
        JpegXmp.Write(jpeg, xmp, MotionPhotoXmp.KeepInStandardPacket);
        var images = gainMap is null ? jpeg.ToArray() : UltraHdrGainMap.Join(jpeg, gainMap);
        return Bytes.Concat(images, before, mp4, after);
    }

    /// <summary>
    /// The bytes before the MP4 (the MotionPhoto_Data field header) and after it (a MotionPhoto_Version field holding
    /// "mpv3", then the SEFH…SEFT directory), little-endian, as One UI 5/6 cameras write them (SEF version 107).
    /// </summary>
    private static (byte[] Before, byte[] After) SamsungTrailer(int videoLength)
    {
        var dataHeader = FieldHeader(SamsungMotionPhotoData, "MotionPhoto_Data"u8);
        var dataSize = dataHeader.Length + videoLength;
        var version = (byte[])[.. FieldHeader(SamsungMotionPhotoVersion, "MotionPhoto_Version"u8), .. "mpv3"u8];

        // Directory entries give each field's distance back from SEFH and its size; fields are listed in file order.
        var directory = new List<byte>("SEFH"u8.ToArray());
        directory.AddRange(BitConverter.GetBytes(SamsungSefVersion));
        directory.AddRange(BitConverter.GetBytes(2));
        foreach (var (type, distance, size) in new[] { (SamsungMotionPhotoData, dataSize + version.Length, dataSize), (SamsungMotionPhotoVersion, version.Length, version.Length) })
        {
            directory.AddRange([0, 0]);
            directory.AddRange(BitConverter.GetBytes(type));
            directory.AddRange(BitConverter.GetBytes(distance));
            directory.AddRange(BitConverter.GetBytes(size));
        }

        directory.AddRange(BitConverter.GetBytes(directory.Count));
        directory.AddRange("SEFT"u8.ToArray());
        return (dataHeader, [.. version, .. directory]);

        static byte[] FieldHeader(ushort type, ReadOnlySpan<byte> name) =>
            [0, 0, .. BitConverter.GetBytes(type), .. BitConverter.GetBytes(name.Length), .. name];
    }
}
