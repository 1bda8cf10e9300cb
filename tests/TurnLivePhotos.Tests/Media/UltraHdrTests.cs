using System.Globalization;
using ImageMagick;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Engine.Classic;
using TurnLivePhotos.Media.Decoding;
using TurnLivePhotos.Media.Formats;
using TurnLivePhotos.Media.Jpeg;
using TurnLivePhotos.Media.Xmp;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Media;

/// <summary>
/// An Ultra HDR photo keeps its gain map: the Motion Photo lists Primary, GainMap and MotionPhoto with exact lengths
/// in file order, the Apple still keeps the gain map with its MPF index rewritten; a re-encoded primary loses gain
/// map, MPF and hdrgm together. Checked with exiftool 13 (-validate, the MPF tags, the gain map read back with
/// -MPImage2 -b and decoded) and with the program's own parsers.
/// </summary>
public sealed class UltraHdrTests
{
    private const int Width = 320;
    private const int Height = 240;

    [RequiresToolsFact("exiftool")]
    public void The_built_input_is_an_ultra_hdr_jpeg_as_exiftool_reads_one()
    {
        using var folder = new TempFolder();
        var photo = UltraHdrPhotos.Make(Width, Height);
        var path = folder.Write("input.jpg", photo.File);

        AssertGainMapReadsBack(path, photo);
        Assert.Equal(photo.GainMap, UltraHdrGainMap.Find(photo.File, JpegFile.Parse(photo.File)));
    }

    [RequiresToolsFact("ffmpeg", "exiftool")]
    public async Task The_motion_photo_keeps_the_gain_map_between_the_primary_and_the_video()
    {
        using var folder = new TempFolder();
        var photo = UltraHdrPhotos.Make(Width, Height);

        var written = await ConvertAsync(photo.File, folder);

        var path = written.Files[OutputFormat.Motion];
        var bytes = await File.ReadAllBytesAsync(path);
        AssertValid(path);
        AssertGainMapReadsBack(path, photo);
        var tags = Tags(path, "-XMP-GContainer:all", "-XMP-hdrgm:Version", "-XMP-dc:Title");
        Assert.Equal("Primary, GainMap, MotionPhoto", tags["DirectoryItemSemantic"]);
        Assert.Equal("image/jpeg, image/jpeg, video/mp4", tags["DirectoryItemMime"]);
        Assert.Equal("1.0", tags["Version"]);
        Assert.Equal("Harbour at dusk", tags["Title"]);

        // File order with exact lengths: primary (SOI..EOI), then the gain map, then the MP4 to the end of the file.
        var lengths = tags["DirectoryItemLength"].Split(", ").Select(long.Parse).ToArray();
        var primary = JpegFile.Parse(bytes);
        Assert.Equal(photo.GainMap.Length, lengths[1]);
        Assert.Equal(bytes.Length, primary.SourceLength + lengths[1] + lengths[2]);
        Assert.Equal(photo.GainMap, bytes[primary.SourceLength..(primary.SourceLength + photo.GainMap.Length)]);
        Assert.Equal("ftyp"u8.ToArray(), bytes[(int)(bytes.Length - lengths[2] + 4)..(int)(bytes.Length - lengths[2] + 8)]);
        AssertIndex(bytes, primary, photo.GainMap.Length);
    }

    [RequiresToolsFact("ffmpeg", "exiftool")]
    public async Task With_the_samsung_trailer_only_the_primary_may_pad_and_every_item_is_found_both_ways()
    {
        using var folder = new TempFolder();
        var photo = UltraHdrPhotos.Make(Width, Height);

        var written = await ConvertAsync(photo.File, folder, samsungTrailer: true);

        var path = written.Files[OutputFormat.Motion];
        var bytes = await File.ReadAllBytesAsync(path);
        AssertValid(path);
        AssertGainMapReadsBack(path, photo);
        var tags = Tags(path, "-XMP-GContainer:all", "-Samsung:all");
        Assert.Equal("Primary, GainMap, MotionPhoto", tags["DirectoryItemSemantic"]);
        Assert.Equal("MotionPhoto_Data", tags["EmbeddedVideoType"]);
        var lengths = tags["DirectoryItemLength"].Split(", ").Select(long.Parse).ToArray();
        var paddings = tags["DirectoryItemPadding"].Split(", ").Select(long.Parse).ToArray();
        // Media3 documents Padding on the primary only (0 for secondary items); nothing lies between primary and gain map.
        Assert.Equal([0L, 0L, 0L], paddings);

        // Media3 walks back from the end of the file: the video starts at its ftyp and the primary ends at its EOI.
        var primary = JpegFile.Parse(bytes);
        var videoStart = bytes.Length - lengths[2];
        Assert.Equal("ftyp"u8.ToArray(), bytes[(int)(videoStart + 4)..(int)(videoStart + 8)]);
        Assert.Equal(primary.SourceLength, videoStart - lengths[1] - paddings[0]);
        // exiftool walks forward from the primary's end: the gain map first, the video after its Length.
        Assert.Equal(photo.GainMap, bytes[primary.SourceLength..(primary.SourceLength + photo.GainMap.Length)]);
        Assert.Equal(videoStart, primary.SourceLength + lengths[1]);
        Assert.Equal(ExternalTools.ExtractBinary(path, "MotionPhotoVideo"), bytes[(int)videoStart..(int)(videoStart + ExternalTools.ExtractBinary(path, "MotionPhotoVideo").Length)]);
        AssertIndex(bytes, primary, photo.GainMap.Length);
    }

    [RequiresToolsFact("ffmpeg", "exiftool")]
    public async Task The_apple_still_keeps_the_gain_map_with_its_mpf_index_rewritten()
    {
        using var folder = new TempFolder();
        var photo = UltraHdrPhotos.Make(Width, Height);

        var written = await ConvertAsync(photo.File, folder);

        var path = written.Files[OutputFormat.Live];
        var bytes = await File.ReadAllBytesAsync(path);
        AssertValid(path);
        AssertGainMapReadsBack(path, photo);
        var tags = Tags(path, "-XMP-GContainer:all", "-XMP-GCamera:all", "-XMP-hdrgm:Version", "-Apple:ContentIdentifier");
        Assert.Equal("Primary, GainMap", tags["DirectoryItemSemantic"]);
        Assert.Equal(photo.GainMap.Length.ToString(CultureInfo.InvariantCulture), tags["DirectoryItemLength"].Split(", ")[1]);
        Assert.Equal("1.0", tags["Version"]);
        Assert.Equal(written.Live!.ContentIdentifier, tags["ContentIdentifier"]);
        Assert.DoesNotContain(tags.Keys, key => key.StartsWith("MotionPhoto", StringComparison.Ordinal) || key.StartsWith("MicroVideo", StringComparison.Ordinal));

        var primary = JpegFile.Parse(bytes);
        Assert.Equal(bytes.Length, primary.SourceLength + photo.GainMap.Length);
        // The Apple MakerNote made the Exif longer than the input's: the index had to move the gain map's offset.
        Assert.NotEqual(photo.File.Length, bytes.Length);
        AssertIndex(bytes, primary, photo.GainMap.Length);
    }

    [RequiresToolsFact("ffmpeg", "exiftool")]
    public async Task A_reencoded_primary_drops_gain_map_mpf_and_hdrgm_together()
    {
        using var folder = new TempFolder();
        var photo = UltraHdrPhotos.Make(Width, Height, orientation: 6);

        var written = await ConvertAsync(photo.File, folder);

        foreach (var path in new[] { written.Files[OutputFormat.Motion], written.Files[OutputFormat.Live] })
        {
            var bytes = await File.ReadAllBytesAsync(path);
            AssertValid(path);
            var primary = JpegFile.Parse(bytes);
            Assert.DoesNotContain(primary.Segments, s => MultiPictureIndex.IsIndex(s) || UltraHdrGainMap.IsIsoMetadata(s));
            var xmp = JpegXmp.Read(primary)!;
            Assert.DoesNotContain(XmpPacket.TopLevelProperties(xmp), p => p.Namespace == XmpNamespaces.HdrGainMap);
            var tags = Tags(path, "-XMP-GContainer:all", "-MPF:all", "-XMP-dc:Title");
            Assert.False(tags.ContainsKey("NumberOfImages"), path);
            Assert.False(tags.ContainsKey("MPImageLength"), path);
            Assert.DoesNotContain("GainMap", tags.GetValueOrDefault("DirectoryItemSemantic", string.Empty), StringComparison.Ordinal);
            Assert.Equal("Harbour at dusk", tags["Title"]);
            Assert.Equal((Height, Width), Dimensions(bytes[..primary.SourceLength]));
            Assert.True(bytes.AsSpan(primary.SourceLength).IndexOf(photo.GainMap.AsSpan(0, 64)) < 0, $"{path}: the gain map is still in the file");
        }

        // The Apple still is the rotated primary alone; the motion photo is that primary and the video, nothing between.
        var still = await File.ReadAllBytesAsync(written.Files[OutputFormat.Live]);
        Assert.Equal(still.Length, JpegFile.Parse(still).SourceLength);
        var motion = await File.ReadAllBytesAsync(written.Files[OutputFormat.Motion]);
        Assert.Equal("ftyp"u8.ToArray(), motion[(JpegFile.Parse(motion).SourceLength + 4)..(JpegFile.Parse(motion).SourceLength + 8)]);
    }

    /// <summary>exiftool finds two images in the MPF index, reads the second back byte for byte, and it decodes.</summary>
    private static void AssertGainMapReadsBack(string path, UltraHdrPhoto photo)
    {
        var tags = Tags(path, "-MPF:all");
        Assert.Equal("2", tags["NumberOfImages"]);
        Assert.Equal(photo.GainMap.Length.ToString(CultureInfo.InvariantCulture), tags["MPImageLength"].Split(' ')[^1]);
        var extracted = ExternalTools.ExtractBinary(path, "MPImage2");
        Assert.Equal(photo.GainMap, extracted);
        using var gainMap = new MagickImage(extracted);
        Assert.Equal((uint)photo.GainMapWidth, gainMap.Width);
        Assert.Equal((uint)photo.GainMapHeight, gainMap.Height);
    }

    /// <summary>The program's own reading of the index: the primary's exact size, the gain map right after it, nothing past the end.</summary>
    private static void AssertIndex(byte[] bytes, JpegFile primary, int gainMapLength)
    {
        var index = primary.Segments.Single(MultiPictureIndex.IsIndex);
        var entries = MultiPictureIndex.Read(index.Payload)!;
        Assert.Equal(2, entries.Count);
        Assert.Equal((uint)primary.SourceLength, entries[0].Size);
        Assert.Equal(0u, entries[0].Offset);
        var tiffHeader = primary.SourceOffsetOf(index)!.Value + MultiPictureIndex.MarkerToTiffHeader;
        Assert.Equal(primary.SourceLength, tiffHeader + (int)entries[1].Offset);
        Assert.Equal((uint)gainMapLength, entries[1].Size);
        Assert.All(entries, entry => Assert.True((entry.Offset == 0 ? 0 : tiffHeader + entry.Offset) + entry.Size <= bytes.Length, "an MPF entry points past the end of the file"));
    }

    private static void AssertValid(string path)
    {
        var (_, report, errors) = ExternalTools.Run("exiftool", "-validate", "-warning", "-error", "-a", "-s", path);
        Assert.DoesNotContain("Error", report + errors, StringComparison.Ordinal);
        Assert.DoesNotContain("MPF", report + errors, StringComparison.Ordinal);
        Assert.DoesNotContain("MPImage", report + errors, StringComparison.Ordinal);
    }

    private static (int Width, int Height) Dimensions(byte[] jpeg)
    {
        using var image = new MagickImage();
        image.Ping(jpeg);
        return ((int)image.Width, (int)image.Height);
    }

    private static async Task<WrittenOutputs> ConvertAsync(byte[] photo, TempFolder folder, bool samsungTrailer = false)
    {
        var decoded = PhotoDecoder.Decode(photo).Image;
        var clip = await new ClassicMotionEngine().GenerateAsync(new MotionParameters { Frames = 4 }.ToRequest(decoded), null, CancellationToken.None);
        var formats = new[] { OutputFormat.Live, OutputFormat.Motion };
        var options = new OutputOptions { Formats = formats, SamsungTrailer = samsungTrailer };
        var written = await new OutputWriter(new FfmpegEncoder()).WriteAsync(photo, clip.Frames, clip.Fps, folder["out"], "photo", options, CancellationToken.None);
        Assert.Empty(written.Failures);
        return written;
    }

    private static Dictionary<string, string> Tags(string file, params string[] tags)
    {
        var (_, output, _) = ExternalTools.Run("exiftool", [.. tags, "-s", "-s", "-n", "-a", file]);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(':', 2))
            .Where(parts => parts.Length == 2)
            .GroupBy(parts => parts[0].Trim())
            .ToDictionary(group => group.Key, group => string.Join(" ", group.Select(parts => parts[1].Trim())));
    }
}
