using System.Text;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Engine.Classic;
using TurnLivePhotos.Media.Decoding;
using TurnLivePhotos.Media.Formats;
using TurnLivePhotos.Media.Jpeg;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Media;

/// <summary>
/// Photos as phones write them, made here with ffmpeg, exiftool 13 and heif-enc (plus the Pixel sample carried in
/// Samples/ and the iPhone pair in ../shared/samples): each converts to every format, and exiftool -validate finds
/// no error in any still or movie written.
/// </summary>
public sealed class PhoneInputTests
{
    private static readonly OutputFormat[] Every = [OutputFormat.Live, OutputFormat.Motion, OutputFormat.Mp4, OutputFormat.Gif, OutputFormat.WebP];

    /// <summary>Every input class, by the name <see cref="Make"/> knows it by.</summary>
    internal static readonly string[] InputClasses = ["pixel-motion-photo", "microvideo", "samsung-jpeg-nul-padded-xmp", "samsung-heic", "no-exif-no-jfif", "jfif-only", "xmp-history", "rotated-with-thumbnail", "ultra-hdr"];

    public static TheoryData<string> Inputs => new(InputClasses);

    [RequiresToolsTheory("ffmpeg", "exiftool", "heif-enc")]
    [MemberData(nameof(Inputs))]
    public async Task Every_phone_input_class_converts_to_every_format_and_validates(string input)
    {
        using var folder = new TempFolder();
        var photo = Make(input, folder);

        var written = await ConvertAsync(photo, folder);

        AssertValid(written);
        var motion = File.ReadAllBytes(written.Files[OutputFormat.Motion]);
        var jpeg = JpegFile.Parse(motion);
        Assert.True(jpeg.Segments[0].IsExif || (jpeg.Segments[0].Marker == 0xE0 && jpeg.Segments[1].IsExif), $"{input}: Exif is not first");
        Assert.Single(jpeg.Segments, s => s.IsXmp);
    }

    [RequiresSharedSamplesFact("ffmpeg", "exiftool")]
    public async Task The_iphone_live_photo_half_converts_and_never_keeps_its_old_content_identifier()
    {
        using var folder = new TempFolder();
        var heic = await File.ReadAllBytesAsync(PhoneSamples.Shared("iphone_IMG_3853.HEIC"));
        var old = Tags(PhoneSamples.Shared("iphone_IMG_3853.HEIC"), "-Apple:ContentIdentifier")["ContentIdentifier"];

        var written = await ConvertAsync(heic, folder);

        AssertValid(written);
        Assert.DoesNotContain(old, File.ReadAllText(written.Files[OutputFormat.Motion], Encoding.Latin1), StringComparison.Ordinal);
        var still = Tags(written.Files[OutputFormat.Live], "-Apple:ContentIdentifier");
        Assert.NotEqual(old, still["ContentIdentifier"]);
        var movie = written.Companions.Single(f => f.EndsWith(".MOV", StringComparison.Ordinal));
        Assert.Equal(still["ContentIdentifier"], Tags(movie, "-Keys:ContentIdentifier")["ContentIdentifier"]);
    }

    [RequiresToolsFact("ffmpeg", "exiftool")]
    public async Task A_rotated_photo_loses_its_stale_thumbnail_and_reports_its_new_size()
    {
        using var folder = new TempFolder();
        var photo = Make("rotated-with-thumbnail", folder);
        Assert.NotEmpty(Tags(folder["input.jpg"], "-ThumbnailLength"));

        var written = await ConvertAsync(photo, folder);

        foreach (var still in new[] { written.Files[OutputFormat.Live], written.Files[OutputFormat.Motion] })
        {
            var tags = Tags(still, "-ThumbnailLength", "-ExifImageWidth", "-ExifImageHeight", "-File:ImageWidth", "-File:ImageHeight", "-IFD0:ImageWidth");
            Assert.False(tags.ContainsKey("ThumbnailLength"), still);
            Assert.Equal("240", tags["ExifImageWidth"]);
            Assert.Equal("320", tags["ExifImageHeight"]);
        }
    }

    /// <summary>The photo of one input class (a HEIC for samsung-heic, JPEG for the others); scratch files go in <paramref name="folder"/>.</summary>
    internal static byte[] Make(string input, TempFolder folder)
    {
        var path = folder["input.jpg"];
        var video = folder["clip.mp4"];
        Run("ffmpeg", "-y", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=30", "-t", "0.5", "-c:v", "libx264", "-pix_fmt", "yuv420p", video);
        File.WriteAllBytes(path, TestPhotos.Scene(320, 240, seed: 7));
        switch (input)
        {
            case "pixel-motion-photo":
                return File.ReadAllBytes(PhoneSamples.PixelMotionPhoto);
            case "microvideo":
                Run("exiftool", "-q", "-overwrite_original", "-XMP-GCamera:MicroVideo=1", "-XMP-GCamera:MicroVideoVersion=1",
                    $"-XMP-GCamera:MicroVideoOffset={new FileInfo(video).Length}", "-XMP-GCamera:MicroVideoPresentationTimestampUs=-1", path);
                return [.. File.ReadAllBytes(path), .. File.ReadAllBytes(video)];
            case "samsung-jpeg-nul-padded-xmp":
            {
                Run("exiftool", "-q", "-overwrite_original", "-XMP-dc:Title=Beach", path);
                // Samsung-shaped: SEF trailer after the EOI, and the XMP packet padded with NULs as Samsung cameras pad it.
                var composed = MotionPhotoWriter.Compose(File.ReadAllBytes(path), File.ReadAllBytes(video), 0, samsungTrailer: true);
                var samsung = JpegFile.Parse(composed);
                var trailer = composed[samsung.ToArray().Length..];
                var xmp = samsung.Segments.FindIndex(s => s.IsXmp);
                samsung.Segments[xmp] = samsung.Segments[xmp] with { Payload = [.. samsung.Segments[xmp].Payload, .. new byte[2048]] };
                return [.. samsung.ToArray(), .. trailer];
            }

            case "samsung-heic":
            {
                var png = folder.Write("input.png", TestPhotos.Scene(320, 240, ImageMagick.MagickFormat.Png, seed: 8));
                var heic = folder["input.heic"];
                Run("heif-enc", "-q", "80", "-o", heic, png);
                Run("exiftool", "-q", "-overwrite_original", "-XMP-GCamera:MotionPhoto=1", "-XMP-GCamera:MotionPhotoVersion=1", "-XMP-GCamera:MotionPhotoPresentationTimestampUs=0", heic);
                var mp4 = File.ReadAllBytes(video);
                var box = new byte[8];
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(box, (uint)(mp4.Length + 8));
                "mpvd"u8.CopyTo(box.AsSpan(4));
                return [.. File.ReadAllBytes(heic), .. box, .. mp4];
            }

            case "no-exif-no-jfif":
            case "jfif-only":
            {
                var file = JpegFile.Parse(File.ReadAllBytes(path));
                file.Segments.RemoveAll(s => s.Marker is >= 0xE1 and <= 0xEF || (input == "no-exif-no-jfif" && s.Marker == 0xE0));
                Assert.Equal(input == "jfif-only", file.Segments.Exists(s => s.Marker == 0xE0));
                return file.ToArray();
            }

            case "xmp-history":
                Run("exiftool", "-q", "-overwrite_original", "-XMP-xmpMM:HistoryAction=saved", "-XMP-xmpMM:HistoryWhen=2024:01:01 10:00:00",
                    "-XMP-xmpMM:DerivedFromDocumentID=abc", "-XMP-dc:Title=Pier", path);
                return File.ReadAllBytes(path);
            case "ultra-hdr":
                return UltraHdrPhotos.Make(320, 240).File;
            case "rotated-with-thumbnail":
            {
                var thumbnail = folder.Write("thumb.jpg", TestPhotos.Scene(160, 120, seed: 9));
                Run("exiftool", "-q", "-overwrite_original", "-IFD0:Orientation#=6", "-Make=TestCam", $"-ThumbnailImage<={thumbnail}", path);
                return File.ReadAllBytes(path);
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(input), input, null);
        }
    }

    private static async Task<WrittenOutputs> ConvertAsync(byte[] photo, TempFolder folder)
    {
        var decoded = PhotoDecoder.Decode(photo).Image;
        var clip = await new ClassicMotionEngine().GenerateAsync(new MotionParameters { Frames = 4 }.ToRequest(decoded), null, CancellationToken.None);
        var written = await new OutputWriter(new FfmpegEncoder()).WriteAsync(photo, clip.Frames, clip.Fps, folder["out"], "photo", new OutputOptions { Formats = Every }, CancellationToken.None);
        Assert.Empty(written.Failures);
        Assert.Equal(Every.Length, written.Files.Count);
        return written;
    }

    private static void AssertValid(WrittenOutputs written)
    {
        var files = written.Files.Values.Concat(written.Companions).Where(f => Path.GetExtension(f) is ".JPG" or ".jpg" or ".HEIC" or ".MOV" or ".mp4").ToList();
        Assert.Equal(4, files.Count);
        foreach (var file in files)
        {
            var (_, report, errors) = ExternalTools.Run("exiftool", "-validate", "-warning", "-error", "-a", "-s", file);
            Assert.DoesNotContain("Error", report + errors, StringComparison.Ordinal);
        }
    }

    private static Dictionary<string, string> Tags(string file, params string[] tags)
    {
        var (_, output, _) = ExternalTools.Run("exiftool", [.. tags, "-s", "-s", "-n", file]);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(':', 2))
            .Where(parts => parts.Length == 2)
            .ToDictionary(parts => parts[0].Trim(), parts => parts[1].Trim());
    }

    private static void Run(string tool, params string[] args)
    {
        var (exit, output, errors) = ExternalTools.Run(tool, args);
        Assert.True(exit == 0, $"{tool} failed: {output} {errors}");
    }
}
