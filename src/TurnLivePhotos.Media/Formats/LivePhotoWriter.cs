using System.IO.Compression;
using TurnLivePhotos.Media.Jpeg;
using TurnLivePhotos.Media.QuickTime;
using TurnLivePhotos.Media.Xmp;

namespace TurnLivePhotos.Media.Formats;

/// <summary>The files of one Apple Live Photo.</summary>
public sealed record LivePhotoFiles(string Still, string Movie, string Zip, string Package, string ContentIdentifier);

/// <summary>
/// Apple Live Photo: NAME.JPG (or NAME.HEIC, see <see cref="WriteHeic"/>) and NAME.MOV joined by one upper-case UUID — the Apple MakerNote tag 0x0011 in the
/// still's Exif and com.apple.quicktime.content.identifier in the movie, which also carries the still-image-time
/// track. Also offered as NAME.zip (both files) and NAME.pvt (the package macOS Photos imports on double-click).
/// </summary>
public static class LivePhotoWriter
{
    public const double MinSeconds = 1.5;
    public const double MaxSeconds = 3.0;

    /// <summary>The playback rate that fits <paramref name="frameCount"/> frames into 1.5–3 s, as close to the clip's own rate as that allows.</summary>
    public static double PlaybackFps(int frameCount, double fps) =>
        Math.Clamp(fps, frameCount / MaxSeconds, frameCount / MinSeconds);

    /// <param name="gainMap">An Ultra HDR gain map kept after the still's primary (see <see cref="PreparedStill.GainMap"/>).</param>
    public static LivePhotoFiles Write(byte[] stillJpeg, int stillWidth, int stillHeight, byte[] movie, double stillSeconds, string directory, string name, string? contentIdentifier = null, byte[]? gainMap = null)
    {
        var id = contentIdentifier ?? NewContentIdentifier();
        var still = WithoutMotionPhotoXmp(ExifWriter.WithContentIdentifier(stillJpeg, id, stillWidth, stillHeight), gainMap);
        // The movie says when it was taken, as an iPhone's does, as far as the photo says it (no date: none).
        var mov = LivePhotoMovie.AddLivePhotoMetadata(movie, id, stillSeconds, ExifWriter.CaptureTime(stillJpeg));

        return WriteFiles(still, ".JPG", mov, directory, name, id);
    }

    /// <summary>
    /// A Live Photo whose still is the HEIC photo itself with only its Exif item changed, as made by
    /// <see cref="LivePhotoHeicStill.Make"/>: NAME.HEIC + NAME.MOV, as an iPhone writes them.
    /// </summary>
    public static LivePhotoFiles WriteHeic(HeicStill still, byte[] movie, double stillSeconds, string directory, string name)
    {
        ArgumentNullException.ThrowIfNull(still);
        var mov = LivePhotoMovie.AddLivePhotoMetadata(movie, still.ContentIdentifier, stillSeconds, still.Captured);
        return WriteFiles(still.Heic, ".HEIC", mov, directory, name, still.ContentIdentifier);
    }

    private static string NewContentIdentifier() => Guid.NewGuid().ToString("D").ToUpperInvariant();

    /// <summary>NAME + <paramref name="stillExtension"/>, NAME.MOV, NAME.zip (both) and NAME.pvt/ (both and metadata.plist).</summary>
    private static LivePhotoFiles WriteFiles(byte[] still, string stillExtension, byte[] mov, string directory, string name, string id)
    {
        var files = new LivePhotoFiles(
            Path.Combine(directory, name + stillExtension),
            Path.Combine(directory, name + ".MOV"),
            Path.Combine(directory, name + ".zip"),
            Path.Combine(directory, name + ".pvt"),
            id);
        AtomicFile.WriteAllBytes(files.Still, still);
        AtomicFile.WriteAllBytes(files.Movie, mov);
        AtomicFile.Write(files.Zip, stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            Add(zip, name + stillExtension, still);
            Add(zip, name + ".MOV", mov);
        });
        WritePackage(files.Package, name + stillExtension, name, still, mov);
        return files;
    }

    /// <summary>
    /// The Apple still is a plain photo: a motion photo's fields (Motion Photo v1, MicroVideo, Container directory)
    /// would announce a video that is not in the file, so they are removed; the rest of the XMP stays. An Ultra HDR
    /// still keeps its gain map after the primary: the directory then lists Primary and GainMap, and the MPF index
    /// is rewritten for the new primary's size.
    /// </summary>
    private static byte[] WithoutMotionPhotoXmp(byte[] jpeg, byte[]? gainMap)
    {
        var file = JpegFile.Parse(jpeg);
        var xmp = JpegXmp.Read(file);
        if (xmp is null && gainMap is null)
        {
            return jpeg;
        }

        xmp ??= MotionPhotoXmp.Create();
        MotionPhotoXmp.RemoveMotion(xmp);
        if (gainMap is not null)
        {
            MotionPhotoXmp.SetDirectory(xmp, [new ContainerItem("image/jpeg", "Primary", 0, 0), new ContainerItem("image/jpeg", "GainMap", gainMap.Length, 0)]);
        }

        JpegXmp.Write(file, xmp, MotionPhotoXmp.KeepInStandardPacket);
        return gainMap is null ? file.ToArray() : UltraHdrGainMap.Join(file, gainMap);
    }

    private static void Add(ZipArchive zip, string entryName, byte[] bytes)
    {
        using var entry = zip.CreateEntry(entryName, CompressionLevel.NoCompression).Open();
        entry.Write(bytes);
    }

    /// <summary>NAME.pvt/ with both files and metadata.plist, built beside the target and renamed into place.</summary>
    private static void WritePackage(string package, string stillName, string name, byte[] still, byte[] mov)
    {
        var building = package + $".{Guid.NewGuid():N}.partial";
        Directory.CreateDirectory(building);
        try
        {
            File.WriteAllBytes(Path.Combine(building, stillName), still);
            File.WriteAllBytes(Path.Combine(building, name + ".MOV"), mov);
            File.WriteAllText(Path.Combine(building, "metadata.plist"), """
                <?xml version="1.0" encoding="UTF-8"?>
                <!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
                <plist version="1.0">
                <dict>
                	<key>PFVideoComplementMetadataVersionKey</key>
                	<string>1</string>
                </dict>
                </plist>

                """);
            if (Directory.Exists(package))
            {
                Directory.Delete(package, recursive: true);
            }

            Directory.Move(building, package);
        }
        finally
        {
            if (Directory.Exists(building))
            {
                Directory.Delete(building, recursive: true);
            }
        }
    }
}
