using System.Text;
using ImageMagick;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Engine.Classic;
using TurnLivePhotos.Media.Decoding;
using TurnLivePhotos.Media.Formats;
using TurnLivePhotos.Media.Imaging;
using TurnLivePhotos.Media.Jpeg;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Media;

/// <summary>MP4, WebP and Motion Photo output, verified with ffprobe/ffmpeg and exiftool 13.</summary>
public sealed class VideoFormatTests
{
    private const int Fps = 7;

    [RequiresToolsFact("ffprobe", "ffmpeg")]
    public async Task The_mp4_is_h264_high_avc1_at_the_clips_own_rate_and_frames_and_decodes_cleanly()
    {
        using var folder = new TempFolder();
        var photo = TestPhotos.Scene(320, 200);

        var clip = await Clip(photo, 10);
        var written = await new OutputWriter(new FfmpegEncoder()).WriteAsync(photo, clip, Fps, folder.Path, "clip", new OutputOptions { Formats = [OutputFormat.Mp4] }, CancellationToken.None);

        var mp4 = written.Files[OutputFormat.Mp4];
        var probe = Probe(mp4);
        Assert.Equal("h264", probe["codec_name"]);
        Assert.Equal("High", probe["profile"]);
        Assert.Equal("avc1", probe["codec_tag_string"]);
        Assert.Equal("yuv420p", probe["pix_fmt"]);
        Assert.Equal($"{Fps}/1", probe["r_frame_rate"]); // the clip's own rate: no frame repeated
        Assert.Equal(clip.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), probe["nb_read_frames"]);
        Assert.Equal((clip[0].Width.ToString(System.Globalization.CultureInfo.InvariantCulture), clip[0].Height.ToString(System.Globalization.CultureInfo.InvariantCulture)), (probe["width"], probe["height"]));
        Assert.Equal(string.Empty, ExternalTools.Run("ffmpeg", "-v", "error", "-i", mp4, "-f", "null", "-").Errors);
        Assert.Equal("moov", Encoding.ASCII.GetString(await File.ReadAllBytesAsync(mp4), 0x24, 4)); // +faststart: moov before mdat
    }

    [RequiresToolsFact("ffprobe", "ffmpeg")]
    public async Task The_mp4_keeps_the_engines_pixels_cropped_to_the_photos_aspect_and_never_upscaled_while_the_phone_video_is_phone_sized()
    {
        using var folder = new TempFolder();
        var photo = TestPhotos.Scene(1600, 1200); // 4:3, larger than the frames
        var wide = await Clip(TestPhotos.Scene(320, 180), 5); // 16:9 frames of 320x180

        var written = await new OutputWriter(new FfmpegEncoder()).WriteAsync(photo, wide, Fps, folder.Path, "clip",
            new OutputOptions { Formats = [OutputFormat.Mp4, OutputFormat.Motion] }, CancellationToken.None);

        var mp4 = Probe(written.Files[OutputFormat.Mp4]);
        Assert.Equal(("240", "180"), (mp4["width"], mp4["height"])); // the centre 4:3 of 320x180, not scaled
        Assert.Equal($"{Fps}/1", mp4["r_frame_rate"]);
        Assert.Equal("5", mp4["nb_read_frames"]);
        var motionVideo = folder.Write("motion.mp4", MotionPhotoTail(await File.ReadAllBytesAsync(written.Files[OutputFormat.Motion])));
        var phone = Probe(motionVideo);
        Assert.Equal(("640", "480"), (phone["width"], phone["height"])); // phone-like: twice the frames, the still's aspect
        // Each frame of the ping-pong loop once, at the rate that fits it into phone-capture time (1.5–3 s).
        var loop = (2 * wide.Count) - 1;
        Assert.Equal(loop.ToString(System.Globalization.CultureInfo.InvariantCulture), phone["nb_read_frames"]);
        Assert.Equal(LivePhotoWriter.PlaybackFps(loop, Fps), FrameRate(phone["r_frame_rate"]), 9);
    }

    [Fact]
    public void A_playback_rate_reaches_ffmpeg_as_its_exact_fraction()
    {
        Assert.Equal("7/1", FfmpegEncoder.Rational(7));
        Assert.Equal("25/3", FfmpegEncoder.Rational(25 / 3.0));
        Assert.Equal("98/3", FfmpegEncoder.Rational(49 / 1.5));
        Assert.Equal("30000/1001", FfmpegEncoder.Rational(30000 / 1001.0));
        Assert.Equal(Math.PI, double.Parse(FfmpegEncoder.Rational(Math.PI), System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>ffprobe's "num/den" rate as a number.</summary>
    internal static double FrameRate(string fraction)
    {
        var parts = fraction.Split('/');
        return double.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture) / double.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    [RequiresToolsFact("ffmpeg")]
    public async Task Formats_written_together_concurrently_are_byte_for_byte_the_formats_written_alone()
    {
        using var together = new TempFolder();
        using var alone = new TempFolder();
        var photo = TestPhotos.CameraJpeg(xmpTitle: null);
        var clip = await Clip(photo, 5);
        var writer = new OutputWriter(new FfmpegEncoder());

        var all = await writer.WriteAsync(photo, clip, Fps, together.Path, "clip",
            new OutputOptions { Formats = [OutputFormat.Gif, OutputFormat.Mp4, OutputFormat.Live, OutputFormat.Motion, OutputFormat.WebP] }, CancellationToken.None);
        Assert.Empty(all.Failures);
        Assert.Equal([OutputFormat.Gif, OutputFormat.Mp4, OutputFormat.Live, OutputFormat.Motion, OutputFormat.WebP], all.Files.Keys);
        foreach (var format in new[] { OutputFormat.Gif, OutputFormat.Mp4, OutputFormat.WebP })
        {
            var single = await writer.WriteAsync(photo, clip, Fps, alone.Path, "clip", new OutputOptions { Formats = [format] }, CancellationToken.None);
            Assert.Equal(await File.ReadAllBytesAsync(single.Files[format]), await File.ReadAllBytesAsync(all.Files[format]));
        }

        // The motion photo holds the same still and the same decoded video whether or not a Live Photo was written
        // beside it (its MP4 then comes out of ffmpeg's tee muxer beside the MOV, whose H.264 stream carries its
        // parameter sets in band, so the bytes differ).
        var motionAlone = await writer.WriteAsync(photo, clip, Fps, alone.Path, "clip", new OutputOptions { Formats = [OutputFormat.Motion] }, CancellationToken.None);
        var (mine, theirs) = (await File.ReadAllBytesAsync(all.Files[OutputFormat.Motion]), await File.ReadAllBytesAsync(motionAlone.Files[OutputFormat.Motion]));
        Assert.Equal(JpegFile.Parse(theirs).ImageData, JpegFile.Parse(mine).ImageData);
        Assert.Equal(VideoStreamDigest(alone.Write("alone.mp4", MotionPhotoTail(theirs))), VideoStreamDigest(together.Write("together.mp4", MotionPhotoTail(mine))));
    }

    [Theory]
    [InlineData(4000, 3000, 1024, 576, 768, 576)]
    [InlineData(320, 200, 320, 200, 320, 200)]
    [InlineData(3000, 4000, 576, 1024, 576, 768)]
    [InlineData(1000, 1000, 1023, 575, 574, 574)]
    public void The_plain_mp4_is_the_frames_centre_cropped_to_the_photo_never_scaled(int sw, int sh, int fw, int fh, int ew, int eh)
    {
        Assert.Equal((ew, eh), OutputWriter.PlainVideoSize(sw, sh, fw, fh));
    }

    [RequiresToolsFact("exiftool", "ffprobe", "ffmpeg")]
    public async Task The_motion_photo_carries_one_description_and_its_mp4_is_the_byte_exact_tail()
    {
        using var folder = new TempFolder();
        var photo = TestPhotos.Scene(320, 240);

        var written = await WriteAsync(photo, folder, new OutputOptions { Formats = [OutputFormat.Motion] }, frames: 6);

        var path = written.Files[OutputFormat.Motion];
        Assert.Equal("clip_MP.jpg", Path.GetFileName(path)); // the photo has no capture time: its name alone, no date made up
        var tags = Exif(path, "-XMP:all");
        Assert.Equal("1", tags["MotionPhoto"]);
        Assert.Equal("1", tags["MotionPhotoVersion"]);
        Assert.Equal("image/jpeg, video/mp4", tags["DirectoryItemMime"]);
        Assert.Equal("Primary, MotionPhoto", tags["DirectoryItemSemantic"]);
        var length = int.Parse(tags["DirectoryItemLength"].Split(", ")[1], System.Globalization.CultureInfo.InvariantCulture);
        var file = await File.ReadAllBytesAsync(path);
        var tail = file[^length..];
        Assert.Equal(tail, ExternalTools.ExtractBinary(path, "MotionPhotoVideo"));
        Assert.Equal("ftyp", Encoding.ASCII.GetString(tail, 4, 4));
        var extracted = folder.Write("extracted.mp4", tail);
        Assert.Equal(string.Empty, ExternalTools.Run("ffmpeg", "-v", "error", "-i", extracted, "-f", "null", "-").Errors);
        // Pingpong: the still is the middle frame, 5 frames into 11, played with phone-capture timing.
        var playback = LivePhotoWriter.PlaybackFps(11, Fps);
        Assert.Equal(((long)Math.Round(5 * 1e6 / playback)).ToString(System.Globalization.CultureInfo.InvariantCulture), tags["MotionPhotoPresentationTimestampUs"]);
        var xmp = Encoding.UTF8.GetString(JpegFile.Parse(file).Segments.Single(s => s.IsXmp).Payload);
        Assert.Equal(1, CountOf(xmp, "<rdf:Description"));
        Assert.Contains("xmlns:GCamera=", xmp, StringComparison.Ordinal);
        Assert.Contains("xmlns:Container=", xmp, StringComparison.Ordinal);
        Assert.Contains("xmlns:Item=", xmp, StringComparison.Ordinal);
    }

    [RequiresToolsFact("exiftool", "ffmpeg")]
    public async Task The_samsung_trailer_carries_the_same_video_and_keeps_the_google_offsets_right()
    {
        using var folder = new TempFolder();

        var written = await WriteAsync(TestPhotos.Scene(160, 120), folder, new OutputOptions { Formats = [OutputFormat.Motion], SamsungTrailer = true }, frames: 4);

        var path = written.Files[OutputFormat.Motion];
        var tags = Exif(path, "-Samsung:all", "-XMP-GContainer:all");
        Assert.Equal("MotionPhoto_Data", tags["EmbeddedVideoType"]);
        var embedded = ExternalTools.ExtractBinary(path, "EmbeddedVideoFile");
        Assert.Equal("ftyp", Encoding.ASCII.GetString(embedded, 4, 4));
        var file = await File.ReadAllBytesAsync(path);
        var length = int.Parse(tags["DirectoryItemLength"].Split(", ")[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(embedded, file[^length..][..embedded.Length]);
        Assert.Equal("SEFT", Encoding.ASCII.GetString(file, file.Length - 4, 4));
        Assert.Equal("24", tags["DirectoryItemPadding"].Split(", ")[0]);
        // Current One UI: SEF version 107 with a MotionPhoto_Version field beside MotionPhoto_Data.
        Assert.Equal("mpv3", tags["SamsungMotionPhotoVersion"]);
        Assert.Equal(107, BitConverter.ToInt32(file, file.AsSpan().LastIndexOf("SEFH"u8) + 4));
        var (_, report, _) = ExternalTools.Run("exiftool", "-validate", "-warning", "-error", "-a", path);
        Assert.DoesNotContain("Samsung", report, StringComparison.Ordinal);
    }

    [RequiresToolsFact("exiftool", "ffmpeg")]
    public async Task A_jpeg_still_keeps_its_pixels_exif_and_own_xmp()
    {
        using var folder = new TempFolder();
        var photo = TestPhotos.CameraJpeg(xmpTitle: "Harbour at dusk");

        var written = await WriteAsync(photo, folder, new OutputOptions { Formats = [OutputFormat.Motion] }, frames: 4);

        var path = written.Files[OutputFormat.Motion];
        var output = await File.ReadAllBytesAsync(path);
        Assert.Equal(JpegFile.Parse(photo).ImageData, JpegFile.Parse(output).ImageData);
        var tags = Exif(path, "-EXIF:all", "-XMP-dc:all", "-XMP-GCamera:all");
        Assert.Equal("TestCam", tags["Make"]);
        Assert.Equal("2024:05:01 12:34:56", tags["DateTimeOriginal"]);
        Assert.Equal("Harbour at dusk", tags["Title"]);
        Assert.Equal("1", tags["MotionPhoto"]);
        Assert.Contains("GPSLatitude", tags.Keys);
    }

    [RequiresToolsFact("exiftool", "ffmpeg")]
    public async Task Strip_metadata_removes_date_camera_and_gps_from_the_still()
    {
        using var folder = new TempFolder();

        var written = await WriteAsync(TestPhotos.CameraJpeg(xmpTitle: null), folder, new OutputOptions { Formats = [OutputFormat.Motion], StripMetadata = true }, frames: 4);

        var tags = Exif(written.Files[OutputFormat.Motion], "-EXIF:all", "-GPS:all");
        Assert.DoesNotContain("Make", tags.Keys);
        Assert.DoesNotContain("DateTimeOriginal", tags.Keys);
        Assert.DoesNotContain(tags.Keys, key => key.StartsWith("GPS", StringComparison.Ordinal));
    }

    [RequiresToolsFact("exiftool", "ffprobe")]
    public async Task An_orientation_6_photo_gives_an_upright_still_and_an_upright_video()
    {
        using var folder = new TempFolder();
        var photo = TestPhotos.JpegWithOrientation6(storedWidth: 300, storedHeight: 200);

        var written = await WriteAsync(photo, folder, new OutputOptions { Formats = [OutputFormat.Motion, OutputFormat.Mp4] }, frames: 4);

        var still = Exif(written.Files[OutputFormat.Motion], "-File:ImageWidth", "-File:ImageHeight", "-IFD0:Orientation", "-n");
        Assert.Equal(("200", "300"), (still["ImageWidth"], still["ImageHeight"]));
        Assert.True(!still.ContainsKey("Orientation") || still["Orientation"] == "1", "the Orientation tag is reset");
        var video = Probe(written.Files[OutputFormat.Mp4]);
        Assert.True(int.Parse(video["height"], System.Globalization.CultureInfo.InvariantCulture) > int.Parse(video["width"], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Webp_loops_with_the_frames_of_the_loop_mode()
    {
        using var folder = new TempFolder();

        var written = await WriteAsync(TestPhotos.Scene(120, 80), folder, new OutputOptions { Formats = [OutputFormat.WebP], Loop = LoopMode.PingPong }, frames: 5);

        using var frames = new MagickImageCollection(await File.ReadAllBytesAsync(written.Files[OutputFormat.WebP]));
        Assert.Equal(9, frames.Count);
        Assert.Equal(0u, frames[0].AnimationIterations);
    }

    [Fact]
    public async Task Without_ffmpeg_video_formats_fail_with_the_fix_and_gif_and_webp_are_still_written()
    {
        using var folder = new TempFolder();
        var writer = new OutputWriter(new FfmpegEncoder(folder["no-such-ffmpeg"]));
        var clip = await Clip(TestPhotos.Scene(64, 48), 3);

        var written = await writer.WriteAsync(TestPhotos.Scene(64, 48), clip, Fps, folder.Path, "x",
            new OutputOptions { Formats = [OutputFormat.Mp4, OutputFormat.Motion, OutputFormat.Gif, OutputFormat.WebP] }, CancellationToken.None);

        Assert.Equal([OutputFormat.Gif, OutputFormat.WebP], written.Files.Keys.Order());
        Assert.All(written.Failures.Values, reason => Assert.Contains("install ffmpeg", reason, StringComparison.Ordinal));
        Assert.Equal(2, written.Failures.Count);
        Assert.Equal(["x.gif", "x.webp"], Directory.GetFiles(folder.Path).Select(Path.GetFileName).Order());
    }

    [Theory]
    [InlineData(LoopMode.Forward, 6, 0)]
    [InlineData(LoopMode.PingPong, 11, 5)]
    [InlineData(LoopMode.Crossfade, 6, 0)]
    public async Task Each_loop_mode_has_its_frame_count_and_the_still_at_the_advertised_index(LoopMode mode, int expectedFrames, int stillIndex)
    {
        var frames = await Clip(TestPhotos.Scene(80, 60), 6);

        var looped = LoopSequence.Build(frames, mode);

        Assert.Equal(expectedFrames, looped.Frames.Count);
        Assert.Equal(stillIndex, looped.StillIndex);
        Assert.Equal(frames[0].Pixels, looped.Frames[looped.StillIndex].Pixels);
    }

    [Fact]
    public async Task Crossfade_brings_the_last_frame_close_to_the_first()
    {
        var frames = await Clip(TestPhotos.Scene(80, 60), 8, motion: 255);

        var looped = LoopSequence.Build(frames, LoopMode.Crossfade);

        var before = TurnLivePhotos.Tests.Engine.ClassicMotionEngineTests.MeanAbsoluteDifference(frames[^2], frames[0]);
        var after = TurnLivePhotos.Tests.Engine.ClassicMotionEngineTests.MeanAbsoluteDifference(looped.Frames[^2], frames[0]);
        Assert.True(after < before, $"crossfaded {after:0.00} vs original {before:0.00}");
    }

    [Theory]
    [InlineData(4000, 3000, 1024, 768, 1440, 1080)]
    [InlineData(640, 480, 640, 480, 640, 480)]
    [InlineData(3000, 4000, 512, 640, 960, 1280)]
    [InlineData(3000, 4000, 256, 320, 480, 640)]
    public void Video_size_follows_the_still_up_to_a_phone_size_and_twice_the_engine(int sw, int sh, int fw, int fh, int ew, int eh)
    {
        Assert.Equal((ew, eh), OutputWriter.VideoSize(sw, sh, fw, fh));
    }

    internal static Dictionary<string, string> Probe(string video)
    {
        var (_, output, _) = ExternalTools.Run("ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames",
            "-show_entries", "stream=codec_name,profile,codec_tag_string,pix_fmt,r_frame_rate,nb_read_frames,width,height", "-of", "default=nw=1", video);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split('=', 2)).ToDictionary(p => p[0], p => p[1].Trim());
    }

    internal static Dictionary<string, string> Exif(string file, params string[] selectors)
    {
        var (_, output, _) = ExternalTools.Run("exiftool", [.. selectors, "-s", "-s", "-a", file]);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(':', 2))
            .Where(p => p.Length == 2)
            .GroupBy(p => p[0].Trim())
            .ToDictionary(g => g.Key, g => g.First()[1].Trim());
    }

    private static async Task<WrittenOutputs> WriteAsync(byte[] photo, TempFolder folder, OutputOptions options, int frames)
    {
        var clip = await Clip(photo, frames);
        return await new OutputWriter(new FfmpegEncoder()).WriteAsync(photo, clip, Fps, folder.Path, "clip", options, CancellationToken.None);
    }

    private static async Task<IReadOnlyList<RgbImage>> Clip(byte[] photo, int frames, int motion = 127)
    {
        var decoded = PhotoDecoder.Decode(photo).Image;
        var clip = await new ClassicMotionEngine().GenerateAsync(new MotionParameters { Frames = frames, MotionBucketId = motion }.ToRequest(decoded), null, CancellationToken.None);
        return clip.Frames;
    }


    /// <summary>MD5 of a video's decoded frames (ffmpeg's md5 muxer): what plays, not how it is stored.</summary>
    private static string VideoStreamDigest(string video)
    {
        var (exit, output, errors) = ExternalTools.Run("ffmpeg", "-v", "error", "-i", video, "-map", "0:v", "-f", "md5", "-");
        Assert.True(exit == 0, errors);
        return output.Trim();
    }

    /// <summary>A motion photo's video: the bytes after the primary JPEG's end of image (no gain map in these tests).</summary>
    private static byte[] MotionPhotoTail(byte[] motionPhoto) => motionPhoto[TurnLivePhotos.Media.Jpeg.JpegFile.Parse(motionPhoto).SourceLength..];

    private static int CountOf(string text, string part) => (text.Length - text.Replace(part, string.Empty, StringComparison.Ordinal).Length) / part.Length;
}
