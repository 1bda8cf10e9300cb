using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using TurnLivePhotos.Core.Conversion;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Engine.Svd;
using TurnLivePhotos.Media.Decoding;
using TurnLivePhotos.Media.Formats;
using TurnLivePhotos.Tests.Media;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Svd;

/// <summary>
/// The SVD engine's own 25-frame clip (the tiny fixture networks as a diffusers folder) through RIFE (the tiny fixture
/// IFNet) to 30 fps: every frame the engine made is handed to the encoder unchanged at its instant, the loop seam is
/// filled, and the Live Photo movie and MP4 come out at 30 fps. Real ONNX Runtime and ffmpeg.
/// </summary>
public sealed class SvdInterpolationTests
{
    private const int Frames = 25;
    private const int Fps = 8;
    private static readonly MotionParameters Parameters = new() { Frames = Frames, Fps = Fps, InferenceSteps = 2, TargetWidth = 64, TargetHeight = 64, Seed = 3, DecodeChunkSize = 5 };

    public static TheoryData<string> Sets => FixtureSets.All;

    private static string TinyRife => Path.Combine(FixtureSets.Root, "rife-tiny", "head4", "flownet.pkl");

    [Theory]
    [MemberData(nameof(Sets))]
    public async Task A_25_frame_clip_keeps_every_engine_frame_byte_for_byte_at_its_instant_with_the_seam_filled(string set)
    {
        using var temp = new TempFolder();
        using var engine = Engine(set, temp);
        using var interpolation = new FrameInterpolation(InterpolationMode.Auto, TinyRife, temp["work"], releasedWidthsOnly: false);
        var clip = await engine.GenerateAsync(Parameters.ToRequest(PhotoDecoder.Decode(TestPhotos.Scene(96, 64)).Image), null, CancellationToken.None);
        Assert.Equal(Frames, clip.Frames.Count);

        var (interpolator, note) = interpolation.For(clip, null);
        Assert.Null(note);
        var result = interpolator!.Interpolate(LoopSequence.Build(clip.Frames, LoopMode.Forward), clip.Fps, seam: true, CancellationToken.None);

        Assert.Equal(4, result.Factor); // 8 fps × 4 = 32, the whole multiple nearest 30
        Assert.Equal(Frames * 4, result.Clip.Frames.Count); // 24 gaps and the seam 25 → 1, three frames each
        for (var i = 0; i < result.Clip.Frames.Count; i++)
        {
            var original = clip.Frames[i / 4];
            if (i % 4 == 0)
            {
                Assert.Equal(original.Pixels, result.Clip.Frames[i].Pixels);
            }
            else
            {
                var next = clip.Frames[((i / 4) + 1) % Frames];
                Assert.NotEqual(original.Pixels, result.Clip.Frames[i].Pixels);
                Assert.NotEqual(next.Pixels, result.Clip.Frames[i].Pixels);
            }
        }
    }

    [RequiresToolsTheory("ffprobe", "ffmpeg")]
    [MemberData(nameof(Sets))]
    public async Task The_mp4_of_a_25_frame_clip_plays_at_30_fps_and_the_live_photo_movie_at_no_less_within_3_s(string set)
    {
        using var temp = new TempFolder();
        using var engine = Engine(set, temp);
        using var interpolation = new FrameInterpolation(InterpolationMode.Auto, TinyRife, temp["work"], releasedWidthsOnly: false);
        var converter = new PhotoConverter(new EngineCatalog(temp["model"], svd: engine, interpolation: interpolation), DecodeBudget.Default, NullLogger<PhotoConverter>.Instance);
        var request = new ConversionRequest(TestPhotos.Scene(96, 64), Parameters, EngineKind.Svd, temp["out"], "p")
        {
            Outputs = new OutputOptions { Formats = [OutputFormat.Mp4, OutputFormat.Live], Loop = LoopMode.Forward },
        };

        var result = await converter.ConvertAsync(request, null, CancellationToken.None);

        Assert.Empty(result.Failures);
        Assert.Null(result.InterpolationNote);
        var mp4 = VideoFormatTests.Probe(result.Files[OutputFormat.Mp4]);
        Assert.Equal("30/1", mp4["r_frame_rate"]);
        Assert.Equal((Frames * 4).ToString(CultureInfo.InvariantCulture), mp4["nb_read_frames"]);
        var movie = VideoFormatTests.Probe(result.Companions.Single(file => file.EndsWith(".MOV", StringComparison.Ordinal)));
        // 100 frames at 30 fps would last 3.3 s; a phone movie lasts at most 3 s, so it plays them at 100 / 3 fps.
        Assert.Equal((Frames * 4).ToString(CultureInfo.InvariantCulture), movie["nb_read_frames"]);
        Assert.Equal("100/3", movie["r_frame_rate"]);
    }

    private static SvdMotionEngine Engine(string set, TempFolder temp) =>
        new(new SvdEngineOptions(TinyModelFolder.Create(set, temp["model"]), Device: ExecutionDevice.Cpu), new RecordingLogger<SvdMotionEngine>());
}
