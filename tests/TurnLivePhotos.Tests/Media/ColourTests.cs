using System.Globalization;
using ImageMagick;
using TurnLivePhotos.Media.Colour;
using TurnLivePhotos.Media.Decoding;
using TurnLivePhotos.Media.Formats;
using TurnLivePhotos.Media.Imaging;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Media;

/// <summary>
/// Every output's pixels are in the space it declares (docs/decisions/0002-colour.md): a Display P3 photo's Live
/// Photo movie and Motion Photo video stay P3 and are tagged as an iPhone tags its movies, the plain MP4 is sRGB
/// tagged BT.709, GIF and WebP are sRGB. Checked with ffprobe, ffmpeg's own decode and LittleCMS (Magick.NET):
/// still and movie frame are both converted to sRGB by what they declare and compared.
/// </summary>
public sealed class ColourTests
{
    private const double Fps = 7;

    [RequiresToolsFact("ffmpeg", "ffprobe")]
    public async Task A_display_p3_photo_keeps_its_colours_in_every_video_each_tagged_for_its_space()
    {
        using var folder = new TempFolder();

        var written = await WriteStaticAsync(DisplayP3Photos.Jpeg(), folder, [OutputFormat.Live, OutputFormat.Motion, OutputFormat.Mp4]);

        AssertVideosMatchTheStill(written, folder);
    }

    [RequiresSharedSamplesFact("ffmpeg", "ffprobe")]
    public async Task The_iphone_heics_videos_keep_its_display_p3_colours_tagged_as_the_iphones_own_movie()
    {
        using var folder = new TempFolder();
        var photo = await File.ReadAllBytesAsync(PhoneSamples.Shared("iphone_IMG_3853.HEIC"));
        var phoneMovie = PhoneSamples.Shared("iphone_IMG_3853.MOV");

        var written = await WriteStaticAsync(photo, folder, [OutputFormat.Live, OutputFormat.Motion, OutputFormat.Mp4]);

        var (primaries, transfer, matrix) = Tags(phoneMovie);
        Assert.Equal((primaries, transfer, matrix), Tags(written.Live!.Movie));
        AssertVideosMatchTheStill(written, folder);
    }

    [RequiresToolsFact("ffmpeg")]
    public async Task Gif_and_webp_from_a_display_p3_photo_hold_its_colours_as_srgb_values()
    {
        using var folder = new TempFolder();
        const int width = 320;

        var written = await WriteStaticAsync(DisplayP3Photos.Jpeg(width), folder, [OutputFormat.Gif, OutputFormat.WebP]);

        foreach (var format in new[] { OutputFormat.Gif, OutputFormat.WebP })
        {
            using var frames = new MagickImageCollection(written.Files[format]);
            using var pixels = frames[0].GetPixels();
            for (var i = 0; i < DisplayP3Photos.Patches.Length; i++)
            {
                var x = ((2 * i) + 1) * width / (2 * DisplayP3Photos.Patches.Length);
                var actual = pixels.GetPixel(x, 120).ToColor()!;
                var expected = DisplayP3Photos.ToSrgb(DisplayP3Photos.Patches[i]);
                var raw = DisplayP3Photos.Patches[i];
                Assert.True(Distance((actual.R, actual.G, actual.B), expected) <= 4, $"{format} patch {i}: {actual.R},{actual.G},{actual.B} is not sRGB {expected} (P3 {raw})");
            }
        }
    }

    [Fact]
    public void Display_p3_to_srgb_agrees_with_littlecms_to_a_level()
    {
        var values = Enumerable.Range(0, 18).Select(i => (byte)Math.Min(255, i * 15)).ToArray();
        var colours = (from r in values from g in values from b in values select (r, g, b)).ToList();
        var pixels = colours.SelectMany(c => new[] { c.r, c.g, c.b }).ToArray();

        var ours = DisplayP3ToSrgb.Convert(new RgbImage(colours.Count, 1, pixels)).Pixels;

        using var image = new MagickImage(pixels, new PixelReadSettings((uint)colours.Count, 1, StorageType.Char, PixelMapping.RGB));
        image.TransformColorSpace(new ColorProfile(DisplayP3Photos.Profile), ColorProfiles.SRGB);
        var reference = image.GetPixels().ToByteArray(PixelMapping.RGB)!;
        var worst = Enumerable.Range(0, pixels.Length).Max(i => Math.Abs(ours[i] - reference[i]));
        Assert.True(worst <= 1, $"differs from LittleCMS by up to {worst} levels");
        Assert.NotEqual(pixels, ours);
    }

    [Fact]
    public void The_working_space_is_read_from_the_profiles_colorants_and_curves()
    {
        Assert.Equal(RgbSpace.DisplayP3, IccProfileSpace.Classify(DisplayP3Photos.Profile));
        Assert.Equal(RgbSpace.Srgb, IccProfileSpace.Classify(ColorProfiles.SRGB.ToByteArray()));
        Assert.Equal(RgbSpace.Srgb, IccProfileSpace.Classify(null));
        Assert.Null(IccProfileSpace.Classify(ColorProfiles.AdobeRGB1998.ToByteArray()));
        Assert.Null(IccProfileSpace.Classify(ColorProfiles.USWebCoatedSWOP.ToByteArray()));
    }

    [RequiresSharedSamplesFact]
    public void The_real_phone_profiles_are_recognised()
    {
        Assert.Equal(RgbSpace.DisplayP3, WorkingSpace.Of(File.ReadAllBytes(PhoneSamples.Shared("iphone_IMG_3853.HEIC"))));
        Assert.Equal(RgbSpace.Srgb, WorkingSpace.Of(File.ReadAllBytes(PhoneSamples.PixelMotionPhoto)));
    }

    [Fact]
    public void Damaged_profiles_are_refused_without_an_exception()
    {
        var random = new Random(27);
        for (var i = 0; i < 3000; i++)
        {
            var profile = (byte[])DisplayP3Photos.Profile.Clone();
            for (var flips = random.Next(1, 6); flips > 0; flips--)
            {
                profile[random.Next(Math.Min(profile.Length, i % 2 == 0 ? 256 : profile.Length))] = (byte)random.Next(256);
            }

            var cut = random.Next(3) == 0 ? profile[..random.Next(profile.Length)] : profile;
            _ = IccProfileSpace.Classify(cut);
        }

        var countless = (byte[])DisplayP3Photos.Profile.Clone();
        countless[128] = 0xFF;
        Assert.Null(IccProfileSpace.Classify(countless));
    }

    [Fact]
    public void The_decoder_keeps_display_p3_and_converts_other_profiles_to_srgb()
    {
        var p3 = PhotoDecoder.Decode(DisplayP3Photos.Jpeg());
        Assert.Equal(RgbSpace.DisplayP3, p3.Space);
        Assert.True(Distance(Pixel(p3.Image, 40, 120), DisplayP3Photos.Patches[0]) <= 3);

        byte[] adobe;
        using (var image = new MagickImage(DisplayP3Photos.Jpeg()))
        {
            image.RemoveProfile("icc");
            image.SetProfile(ColorProfiles.AdobeRGB1998);
            adobe = image.ToByteArray(MagickFormat.Jpeg);
        }

        var decoded = PhotoDecoder.Decode(adobe);
        Assert.Equal(RgbSpace.Srgb, decoded.Space);
        using var reference = new MagickImage(adobe);
        reference.TransformColorSpace(ColorProfiles.SRGB);
        using var expected = reference.GetPixels();
        var colour = expected.GetPixel(40, 120).ToColor()!;
        Assert.True(Distance(Pixel(decoded.Image, 40, 120), (colour.R, colour.G, colour.B)) <= 2);
    }

    /// <summary>
    /// The Live Photo movie and the Motion Photo video are tagged Display P3 as an iPhone tags its movies, the plain
    /// MP4 BT.709; each one's frame at the still's instant, converted to sRGB by its tags, is the still converted to
    /// sRGB by its ICC profile (mean difference at most 2 levels).
    /// </summary>
    private static void AssertVideosMatchTheStill(WrittenOutputs written, TempFolder folder)
    {
        var motion = File.ReadAllBytes(written.Files[OutputFormat.Motion]);
        var motionVideo = folder.Write("motion-video.mp4", motion[(motion.AsSpan().LastIndexOf("ftyp"u8) - 4)..]);
        Assert.Equal(("smpte432", "bt709", "smpte170m"), Tags(written.Live!.Movie));
        Assert.Equal(("smpte432", "bt709", "smpte170m"), Tags(motionVideo));
        Assert.Equal(("bt709", "bt709", "bt709"), Tags(written.Files[OutputFormat.Mp4]));
        // The sample entry's colour box as phones write it: QuickTime's nclc in the MOV (as the iPhone's), nclx in the MP4.
        Assert.True(File.ReadAllBytes(written.Live.Movie).AsSpan().IndexOf("colrnclc\0\u000c\0\u0001\0\u0006"u8) > 0, "the MOV has no colr nclc box for P3");
        Assert.True(File.ReadAllBytes(motionVideo).AsSpan().IndexOf("colrnclx\0\u000c\0\u0001\0\u0006"u8) > 0, "the Motion Photo's MP4 has no colr nclx box for P3");

        var stillSeconds = StillSeconds();
        foreach (var (video, seconds) in new[] { (written.Live.Movie, stillSeconds), (motionVideo, stillSeconds), (written.Files[OutputFormat.Mp4], 0.0) })
        {
            var (frame, width, height) = FrameAsSrgb(video, seconds, folder);
            var still = StillAsSrgb(written.Live.Still, width, height);
            (frame, still) = (Colours(frame, width, height), Colours(still, width, height));
            var mean = Enumerable.Range(0, frame.Length).Average(i => Math.Abs(frame[i] - still[i]));
            Assert.True(mean <= 2, $"{Path.GetFileName(video)}: mean difference {mean.ToString("0.00", CultureInfo.InvariantCulture)} levels from the still");
        }
    }

    private static double StillSeconds()
    {
        var clip = LoopSequence.Build(Enumerable.Repeat(new RgbImage(2, 2, new byte[12]), 4).ToList(), LoopMode.PingPong);
        return clip.StillIndex / LivePhotoWriter.PlaybackFps(clip.Frames.Count, Fps);
    }

    /// <summary>The video's frame at <paramref name="seconds"/> decoded by ffmpeg (matrix and range from its tags), then converted from P3 when tagged P3.</summary>
    private static (byte[] Pixels, int Width, int Height) FrameAsSrgb(string video, double seconds, TempFolder folder)
    {
        var (_, size, _) = ExternalTools.Run("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0", video);
        var dimensions = size.Trim().Split(',').Select(int.Parse).ToArray();
        var raw = folder[Path.GetFileName(video) + ".rgb"];
        var (exit, _, errors) = ExternalTools.Run("ffmpeg", "-v", "error", "-y", "-i", video, "-ss", seconds.ToString("0.000", CultureInfo.InvariantCulture), "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", raw);
        Assert.True(exit == 0, errors);
        var pixels = File.ReadAllBytes(raw);
        if (Tags(video).Primaries != "smpte432")
        {
            return (pixels, dimensions[0], dimensions[1]);
        }

        using var image = new MagickImage(pixels, new PixelReadSettings((uint)dimensions[0], (uint)dimensions[1], StorageType.Char, PixelMapping.RGB));
        image.TransformColorSpace(new ColorProfile(DisplayP3Photos.Profile), ColorProfiles.SRGB);
        return (image.GetPixels().ToByteArray(PixelMapping.RGB)!, dimensions[0], dimensions[1]);
    }

    /// <summary>The written still converted to sRGB by its own ICC profile (none: sRGB already), at the video's size.</summary>
    private static byte[] StillAsSrgb(string still, int width, int height)
    {
        using var image = new MagickImage(still);
        image.AutoOrient();
        if (image.GetColorProfile() is not null)
        {
            image.TransformColorSpace(ColorProfiles.SRGB);
        }

        image.Resize(new MagickGeometry((uint)width, (uint)height) { IgnoreAspectRatio = true });
        return image.GetPixels().ToByteArray(PixelMapping.RGB)!;
    }

    /// <summary>
    /// The picture averaged over 8×8 blocks: colour, not detail, is compared (the still and the video are scaled by
    /// different filters, and H.264 keeps a quarter of the chroma samples).
    /// </summary>
    private static byte[] Colours(byte[] pixels, int width, int height)
    {
        using var image = new MagickImage(pixels, new PixelReadSettings((uint)width, (uint)height, StorageType.Char, PixelMapping.RGB));
        image.Scale(new MagickGeometry((uint)(width / 8), (uint)(height / 8)) { IgnoreAspectRatio = true });
        return image.GetPixels().ToByteArray(PixelMapping.RGB)!;
    }

    private static (string Primaries, string Transfer, string Matrix) Tags(string video)
    {
        var (_, output, _) = ExternalTools.Run("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=color_primaries,color_transfer,color_space", "-of", "default=nw=1", video);
        var tags = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split('=', 2)).ToDictionary(parts => parts[0], parts => parts[1].Trim());
        return (tags["color_primaries"], tags["color_transfer"], tags["color_space"]);
    }

    /// <summary>The photo decoded (at most 1024 pixels long, as an engine's frames are) and played still for 4 frames.</summary>
    private static async Task<WrittenOutputs> WriteStaticAsync(byte[] photo, TempFolder folder, OutputFormat[] formats)
    {
        var decoded = PhotoDecoder.Decode(photo).Image;
        if (Math.Max(decoded.Width, decoded.Height) > 1024)
        {
            using var image = MagickInterop.ToMagick(decoded);
            image.Resize(1024, 1024);
            decoded = MagickInterop.ToRgb(image);
        }

        var frames = Enumerable.Repeat(decoded, 4).ToList();
        var written = await new OutputWriter(new FfmpegEncoder()).WriteAsync(photo, frames, (int)Fps, folder["out"], "p3", new OutputOptions { Formats = formats }, CancellationToken.None);
        Assert.Empty(written.Failures);
        return written;
    }

    private static (byte R, byte G, byte B) Pixel(RgbImage image, int x, int y)
    {
        var at = ((y * image.Width) + x) * 3;
        return (image.Pixels[at], image.Pixels[at + 1], image.Pixels[at + 2]);
    }

    private static int Distance((byte R, byte G, byte B) a, (byte R, byte G, byte B) b) =>
        Math.Max(Math.Abs(a.R - b.R), Math.Max(Math.Abs(a.G - b.G), Math.Abs(a.B - b.B)));
}
