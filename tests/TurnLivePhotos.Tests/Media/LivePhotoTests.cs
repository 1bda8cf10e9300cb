using System.IO.Compression;
using System.Text;
using ImageMagick;
using MetadataExtractor;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Engine.Classic;
using TurnLivePhotos.Media.Decoding;
using TurnLivePhotos.Media.Formats;
using TurnLivePhotos.Media.Jpeg;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Media;

/// <summary>The Apple Live Photo pair, verified with exiftool 13, ffprobe/ffmpeg and MetadataExtractor.</summary>
public sealed class LivePhotoTests
{
    private const int Fps = 7;

    [RequiresToolsFact("exiftool", "ffmpeg")]
    public async Task Still_and_movie_share_one_upper_case_identifier_readable_by_exiftool_and_metadata_extractor()
    {
        using var folder = new TempFolder();

        var live = await WriteLiveAsync(TestPhotos.Scene(320, 240), folder, frames: 6);

        var stillTags = Tags(live.Still, "-Apple:ContentIdentifier");
        var movieTags = Tags(live.Movie, "-Keys:ContentIdentifier");
        Assert.Matches("^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$", live.ContentIdentifier);
        Assert.Equal(live.ContentIdentifier, stillTags["ContentIdentifier"]);
        Assert.Equal(live.ContentIdentifier, movieTags["ContentIdentifier"]);
        Assert.Equal(live.ContentIdentifier, ReadWithMetadataExtractor(live.Still, "Apple Makernote"));
        Assert.Equal(live.ContentIdentifier, ReadWithMetadataExtractor(live.Movie, "QuickTime Metadata Header"));
    }

    [RequiresToolsFact("exiftool", "ffmpeg")]
    public async Task The_still_validates_cleanly_and_keeps_the_cameras_exif_and_pixels()
    {
        using var folder = new TempFolder();
        var photo = TestPhotos.CameraJpeg(xmpTitle: null);

        var live = await WriteLiveAsync(photo, folder, frames: 4);

        Assert.Equal("OK", Tags(live.Still, "-validate", "-warning")["Validate"]);
        var exif = Tags(live.Still, "-EXIF:Make", "-EXIF:DateTimeOriginal", "-EXIF:GPSLatitudeRef", "-IFD1:ThumbnailLength");
        Assert.Equal("TestCam", exif["Make"]);
        Assert.Equal("2024:05:01 12:34:56", exif["DateTimeOriginal"]);
        Assert.Equal("North", exif["GPSLatitudeRef"]);
        Assert.Equal(JpegFile.Parse(photo).ImageData, JpegFile.Parse(await File.ReadAllBytesAsync(live.Still)).ImageData);
    }

    [RequiresToolsFact("exiftool", "ffmpeg")]
    public async Task A_still_without_exif_gets_a_valid_minimal_one()
    {
        using var folder = new TempFolder();
        var bare = TestPhotos.Scene(200, 100, MagickFormat.Png);

        var live = await WriteLiveAsync(bare, folder, frames: 4);

        Assert.Equal("OK", Tags(live.Still, "-validate", "-warning")["Validate"]);
        Assert.Equal(live.ContentIdentifier, Tags(live.Still, "-Apple:ContentIdentifier")["ContentIdentifier"]);
    }

    [RequiresToolsFact("ffprobe", "ffmpeg")]
    public async Task The_movie_has_one_still_image_time_sample_at_the_still_an_orientation_track_and_a_clean_avc1_video_of_each_frame_once()
    {
        using var folder = new TempFolder();

        var live = await WriteLiveAsync(TestPhotos.Scene(320, 240), folder, frames: 8);

        var (_, streams, _) = ExternalTools.Run("ffprobe", "-v", "error", "-show_entries", "stream=codec_type,codec_tag_string,r_frame_rate,nb_frames,width,height", "-of", "compact", live.Movie);
        var lines = streams.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // Three timed-metadata tracks, as in iPhone movies: video-orientation, live-photo-info, still-image-time.
        Assert.Equal(3, lines.Count(line => line.Contains("codec_tag_string=mebx", StringComparison.Ordinal)));
        var video = Assert.Single(lines, line => line.Contains("codec_type=video", StringComparison.Ordinal));
        Assert.Contains("codec_tag_string=avc1", video, StringComparison.Ordinal);
        var clipFrames = (2 * 8) - 1; // pingpong
        var playback = LivePhotoWriter.PlaybackFps(clipFrames, Fps);
        // Each frame once, at the rate that fits the loop into 1.5–3 s (no repeats up to 30 fps).
        var rate = video.Split('|').Single(field => field.StartsWith("r_frame_rate=", StringComparison.Ordinal))["r_frame_rate=".Length..];
        Assert.Equal(playback, VideoFormatTests.FrameRate(rate), 9);
        Assert.Contains($"nb_frames={clipFrames}", video.Split('|'));
        Assert.Contains("width=320|height=240", video, StringComparison.Ordinal);

        var (_, packets, _) = ExternalTools.Run("ffprobe", "-v", "error", "-select_streams", "d:2", "-show_packets", "-show_data", "-of", "compact", live.Movie);
        var first = packets.Split("packet|", StringSplitOptions.RemoveEmptyEntries)[0];
        // still-image-time −1, then the still-image transform (key 2) and its reference dimensions (key 3): 9 + 80 + 16 bytes.
        Assert.Contains("size=105|", first, StringComparison.Ordinal);
        Assert.Contains("0000 0009 0000 0001 ff00 0000 5000 0000", first, StringComparison.Ordinal);
        var pts = double.Parse(first.Split("pts_time=")[1].Split('|')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(7 / playback, pts, 0.002); // the still is frame 7 of the boomerang, ±1 tick of the 1000 Hz movie clock
        Assert.Equal(string.Empty, ExternalTools.Run("ffmpeg", "-v", "error", "-i", live.Movie, "-f", "null", "-").Errors);
        if (ExternalTools.Exiftool is not null)
        {
            var timed = Tags(live.Movie, "-ee", "-StillImageTime", "-VideoOrientation", "-n");
            Assert.Equal("-1", timed["StillImageTime"]); // exiftool finds the still-image-time sample
            Assert.Equal("1", timed["VideoOrientation"]); // and the orientation of our upright pixels
        }
    }

    [RequiresToolsFact("ffmpeg")]
    public async Task The_zip_and_the_pvt_package_hold_the_pair()
    {
        using var folder = new TempFolder();

        var live = await WriteLiveAsync(TestPhotos.Scene(160, 120), folder, frames: 4);

        using (var zip = ZipFile.OpenRead(live.Zip))
        {
            Assert.Equal(["CLIP.JPG", "CLIP.MOV"], zip.Entries.Select(e => e.Name).Order());
        }

        Assert.Equal(["CLIP.JPG", "CLIP.MOV", "metadata.plist"], System.IO.Directory.GetFiles(live.Package).Select(Path.GetFileName).Order());
        Assert.Contains("PFVideoComplementMetadataVersionKey", await File.ReadAllTextAsync(Path.Combine(live.Package, "metadata.plist")), StringComparison.Ordinal);
        Assert.Empty(System.IO.Directory.GetFileSystemEntries(folder.Path, "*.partial"));
    }

    [Theory]
    [InlineData(15, 7, 7)]
    [InlineData(49, 7, 49 / 3.0)]
    [InlineData(4, 7, 4 / 1.5)]
    public void Live_photo_movies_last_between_one_and_a_half_and_three_seconds(int frames, int fps, double expected)
    {
        var playback = LivePhotoWriter.PlaybackFps(frames, fps);

        Assert.Equal(expected, playback, 6);
        Assert.InRange(frames / playback, 1.5 - 1e-9, 3 + 1e-9);
    }

    [RequiresSharedSamplesFact("exiftool", "ffmpeg", "ffprobe")]
    public async Task The_movie_carries_the_fields_an_iphone_live_photo_movie_carries()
    {
        using var folder = new TempFolder();
        var iphone = PhoneSamples.Shared("iphone_IMG_3853.MOV");

        var live = await WriteLiveAsync(TestPhotos.CameraJpeg(xmpTitle: null, offsetTime: "+09:00"), folder, frames: 6);

        // Field by field against the real iPhone 15 Plus movie: the same keys, the same timed-metadata tracks.
        const string keys = "-Keys:all";
        var ours = Tags(live.Movie, keys, "-QuickTime:CreateDate", "-Track1:TrackCreateDate", "-Track1:MediaCreateDate", "-ee", "-StillImageTime", "-VideoOrientation", "-n");
        var theirs = Tags(iphone, keys, "-QuickTime:CreateDate", "-Track1:TrackCreateDate", "-Track1:MediaCreateDate", "-ee", "-StillImageTime", "-VideoOrientation", "-n");
        foreach (var field in new[] { "ContentIdentifier", "LivePhotoAuto", "LivePhotoVitalityScore", "CreationDate", "CreateDate", "TrackCreateDate", "MediaCreateDate", "StillImageTime", "VideoOrientation" })
        {
            Assert.True(theirs.ContainsKey(field), $"the iPhone movie has no {field}");
            Assert.True(ours.ContainsKey(field), $"our movie has no {field}");
        }

        Assert.Equal(theirs["LivePhotoAuto"], ours["LivePhotoAuto"]);
        Assert.Equal(theirs["StillImageTime"], ours["StillImageTime"]);
        Assert.Equal(theirs["VideoOrientation"], ours["VideoOrientation"]);
        Assert.Equal("2024:05:01 12:34:56+09:00", ours["CreationDate"]); // the photo's DateTimeOriginal and OffsetTimeOriginal
        Assert.Equal("2024:05:01 03:34:56", ours["CreateDate"]); // the same instant in UTC, as QuickTime's headers keep it
        Assert.Equal(ours["CreateDate"], ours["TrackCreateDate"]);
        Assert.Equal(ours["CreateDate"], ours["MediaCreateDate"]);

        // ffprobe sees the metadata streams as iPhones' (mebx, "Core Media Metadata") next to the video.
        var (_, streams, _) = ExternalTools.Run("ffprobe", "-v", "error", "-show_entries", "stream=codec_tag_string:stream_tags=handler_name", "-of", "csv=p=0", live.Movie);
        Assert.Equal(3, streams.Split('\n').Count(line => line.StartsWith("mebx,Core Media Metadata", StringComparison.Ordinal)));
    }

    [RequiresToolsFact("exiftool", "ffmpeg")]
    public async Task The_movie_states_no_date_or_zone_the_photo_does_not_have()
    {
        using var zoneFolder = new TempFolder();
        using var dateFolder = new TempFolder();

        var noZone = await WriteLiveAsync(TestPhotos.CameraJpeg(xmpTitle: null), zoneFolder, frames: 4);
        var noDate = await WriteLiveAsync(TestPhotos.Scene(240, 160), dateFolder, frames: 4);

        var zoneless = Tags(noZone.Movie, "-Keys:CreationDate", "-QuickTime:CreateDate", "-Track1:TrackCreateDate");
        var dateless = Tags(noDate.Movie, "-Keys:CreationDate", "-QuickTime:CreateDate", "-Track1:TrackCreateDate");
        Assert.Equal("2024:05:01 12:34:56", zoneless["CreationDate"]); // the camera's clock, no offset made up
        Assert.Equal("0000:00:00 00:00:00", zoneless["CreateDate"]); // an instant needs the offset: QuickTime's "not set"
        Assert.Equal("0000:00:00 00:00:00", zoneless["TrackCreateDate"]);
        Assert.False(dateless.ContainsKey("CreationDate"), string.Join(", ", dateless));
        Assert.Equal("0000:00:00 00:00:00", dateless["CreateDate"]);
    }

    internal static async Task<LivePhotoFiles> WriteLiveAsync(byte[] photo, TempFolder folder, int frames)
    {
        var decoded = PhotoDecoder.Decode(photo).Image;
        var clip = await new ClassicMotionEngine().GenerateAsync(new MotionParameters { Frames = frames }.ToRequest(decoded), null, CancellationToken.None);
        var written = await new OutputWriter(new FfmpegEncoder()).WriteAsync(photo, clip.Frames, Fps, folder.Path, "clip", new OutputOptions { Formats = [OutputFormat.Live] }, CancellationToken.None);
        Assert.Empty(written.Failures);
        var still = written.Files[OutputFormat.Live];
        var id = ReadWithMetadataExtractor(still, "Apple Makernote") ?? string.Empty;
        return new LivePhotoFiles(still, Path.ChangeExtension(still, ".MOV"), Path.ChangeExtension(still, ".zip"), Path.ChangeExtension(still, ".pvt"), id);
    }

    private static Dictionary<string, string> Tags(string file, params string[] selectors) => VideoFormatTests.Exif(file, selectors);

    private static string? ReadWithMetadataExtractor(string file, string directory) =>
        ImageMetadataReader.ReadMetadata(file)
            .Where(d => d.Name == directory)
            .SelectMany(d => d.Tags)
            .FirstOrDefault(t => t.Name == "Content Identifier")?.Description;

}

/// <summary>HEIC, the iPhone's own format, as input (made with libheif's encoder).</summary>
public sealed class HeicInputTests
{
    [RequiresToolsFact("heif-enc", "ffmpeg", "exiftool")]
    public async Task With_apple_still_jpeg_a_heic_photo_becomes_a_live_photo_with_a_jpeg_still_of_its_full_size()
    {
        using var folder = new TempFolder();
        var png = folder.Write("in.png", TestPhotos.Scene(320, 200, ImageMagick.MagickFormat.Png));
        var (exit, _, errors) = ExternalTools.Run("heif-enc", "-q", "90", "-o", folder["in.heic"], png);
        Assert.True(exit == 0, errors);
        var heic = await File.ReadAllBytesAsync(folder["in.heic"]);

        var decoded = TurnLivePhotos.Media.Decoding.PhotoDecoder.Decode(heic);
        var clip = await new TurnLivePhotos.Engine.Classic.ClassicMotionEngine().GenerateAsync(
            new TurnLivePhotos.Engine.MotionParameters { Frames = 3 }.ToRequest(decoded.Image), null, CancellationToken.None);
        var written = await new TurnLivePhotos.Media.Formats.OutputWriter(new TurnLivePhotos.Media.Formats.FfmpegEncoder()).WriteAsync(
            heic, clip.Frames, 7, folder.Path, "heic", new TurnLivePhotos.Media.Formats.OutputOptions { Formats = [TurnLivePhotos.Media.Formats.OutputFormat.Live], AppleStill = TurnLivePhotos.Media.Formats.AppleStill.Jpeg }, CancellationToken.None);

        Assert.Equal(TurnLivePhotos.Media.Decoding.PhotoFormat.Heif, decoded.Format);
        var still = VideoFormatTests.Exif(written.Files[TurnLivePhotos.Media.Formats.OutputFormat.Live], "-File:FileType", "-File:ImageWidth", "-File:ImageHeight", "-Apple:ContentIdentifier");
        Assert.Equal("JPEG", still["FileType"]);
        Assert.Equal(("320", "200"), (still["ImageWidth"], still["ImageHeight"]));
        Assert.True(still.ContainsKey("ContentIdentifier"));
    }
}
