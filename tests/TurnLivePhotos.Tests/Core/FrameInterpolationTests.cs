using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Core.Conversion;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Media.Decoding;
using TurnLivePhotos.Media.Formats;
using TurnLivePhotos.Media.Imaging;
using TurnLivePhotos.Tests.Media;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Core;

/// <summary>
/// RIFE between the engine and the writer: a short AI clip comes out at 30 fps with its own frames kept exactly, the
/// loop seam filled; off, auto without the model and non-AI engines keep today's frames; rife without the model is one error.
/// Real ONNX graph over the tiny fixture weights (Fixtures/rife-tiny), real ffmpeg.
/// </summary>
public sealed class FrameInterpolationTests
{
    private const int Fps = 8;
    private const int Frames = 12;

    private static string TinyModel => Path.Combine(FixtureSets.Root, "rife-tiny", "head4", "flownet.pkl");

    [Fact]
    public async Task The_frames_handed_to_the_writer_keep_every_original_byte_for_byte_at_its_instant_and_fill_the_seam()
    {
        using var folder = new TempFolder();
        using var interpolation = new FrameInterpolation(InterpolationMode.Auto, TinyModel, folder["work"], releasedWidthsOnly: false);
        var clip = await new ShortAiClipEngine().GenerateAsync(new MotionParameters { Frames = Frames, Fps = Fps }.ToRequest(Photo()), null, CancellationToken.None);
        var stages = new List<MotionProgress>();

        var (interpolator, note) = interpolation.For(clip, new SynchronousProgress(stages.Add));
        Assert.Null(note);
        var looped = LoopSequence.Build(clip.Frames, LoopMode.Forward);
        var result = interpolator!.Interpolate(looped, Fps, ClipInterpolation.HasSeam(LoopMode.Forward), CancellationToken.None);

        Assert.Equal(4, result.Factor); // 8 fps × 4 ≈ 30
        Assert.Equal(Frames * 4, result.Clip.Frames.Count); // the seam last → first is filled too
        Assert.Equal(0, result.Clip.StillIndex);
        for (var i = 0; i < result.Clip.Frames.Count; i++)
        {
            if (i % 4 == 0)
            {
                Assert.Equal(clip.Frames[i / 4].Pixels, result.Clip.Frames[i].Pixels);
            }
            else
            {
                Assert.NotEqual(clip.Frames[i / 4].Pixels, result.Clip.Frames[i].Pixels);
            }
        }

        Assert.All(stages, stage => Assert.Equal("interpolate", stage.Stage));
        Assert.Equal(Enumerable.Range(1, Frames * 3), stages.Select(stage => stage.Step));
        Assert.Equal(Frames * 3, stages[^1].TotalSteps);
    }

    [Fact]
    public async Task A_gpu_this_build_cannot_use_is_a_warning_and_the_frames_are_made_on_the_cpu()
    {
        using var folder = new TempFolder();
        var logger = new RecordingLogger<FrameInterpolation>();
        using var interpolation = new FrameInterpolation(InterpolationMode.Auto, TinyModel, folder["work"], releasedWidthsOnly: false, device: TurnLivePhotos.Engine.Svd.ExecutionDevice.Cuda, logger: logger);
        var clip = await new ShortAiClipEngine().GenerateAsync(new MotionParameters { Frames = 3, Fps = Fps }.ToRequest(Photo()), null, CancellationToken.None);

        var (interpolator, _) = interpolation.For(clip, null);
        var result = interpolator!.Interpolate(LoopSequence.Build(clip.Frames, LoopMode.Forward), Fps, seam: false, CancellationToken.None);

        Assert.Equal((2 * 4) + 1, result.Clip.Frames.Count);
        var warning = Assert.Single(logger.Messages, message => message.Level == Microsoft.Extensions.Logging.LogLevel.Warning);
        Assert.Contains("Cuda is not available here", warning.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_ping_pong_loop_has_no_seam_and_its_way_back_reuses_the_way_outs_frames()
    {
        using var folder = new TempFolder();
        using var interpolation = new FrameInterpolation(InterpolationMode.Auto, TinyModel, folder["work"], releasedWidthsOnly: false);
        var clip = await new ShortAiClipEngine().GenerateAsync(new MotionParameters { Frames = 5, Fps = Fps }.ToRequest(Photo()), null, CancellationToken.None);
        var stages = new List<MotionProgress>();

        var (interpolator, _) = interpolation.For(clip, new SynchronousProgress(stages.Add));
        var looped = LoopSequence.Build(clip.Frames, LoopMode.PingPong); // 4 3 2 1 0 1 2 3 4
        var result = interpolator!.Interpolate(looped, Fps, ClipInterpolation.HasSeam(LoopMode.PingPong), CancellationToken.None);

        Assert.Equal((8 * 4) + 1, result.Clip.Frames.Count);
        Assert.Equal(4 * 4, result.Clip.StillIndex); // the still (engine frame 0) where the loop turns round
        Assert.Equal(clip.Frames[0].Pixels, result.Clip.Frames[result.Clip.StillIndex].Pixels);
        for (var i = 0; i < result.Clip.Frames.Count; i++)
        {
            Assert.Equal(result.Clip.Frames[i].Pixels, result.Clip.Frames[^(i + 1)].Pixels); // a boomerang: the same frames both ways
        }

        Assert.Equal(4 * 3, stages.Count); // each of the 4 pairs' 3 frames made once
        Assert.Equal(4 * 3, stages[^1].TotalSteps);
    }

    [RequiresToolsFact("ffprobe", "ffmpeg")]
    public async Task A_short_ai_clip_comes_out_as_a_30_fps_mp4_and_live_photo_movie()
    {
        using var folder = new TempFolder();
        using var interpolation = new FrameInterpolation(InterpolationMode.Auto, TinyModel, folder["work"], releasedWidthsOnly: false);
        var result = await Convert(folder, interpolation, new ShortAiClipEngine());

        Assert.Null(result.InterpolationNote);
        Assert.Empty(result.Failures);
        var mp4 = VideoFormatTests.Probe(result.Files[OutputFormat.Mp4]);
        Assert.Equal("30/1", mp4["r_frame_rate"]);
        Assert.Equal((Frames * 4).ToString(CultureInfo.InvariantCulture), mp4["nb_read_frames"]);
        var movie = VideoFormatTests.Probe(result.Companions.Single(file => file.EndsWith(".MOV", StringComparison.Ordinal)));
        Assert.Equal("30/1", movie["r_frame_rate"]); // 48 frames at 30 fps: 1.6 s, within a phone capture's 1.5–3 s
        Assert.Equal((Frames * 4).ToString(CultureInfo.InvariantCulture), movie["nb_read_frames"]);
    }

    [RequiresToolsFact("ffmpeg")]
    public async Task Progress_shows_the_interpolate_stage_and_the_whole_jobs_share_never_goes_back()
    {
        using var folder = new TempFolder();
        using var interpolation = new FrameInterpolation(InterpolationMode.Auto, TinyModel, folder["work"], releasedWidthsOnly: false);
        var steps = new List<MotionProgress>();
        var result = await Convert(folder, interpolation, new ShortAiClipEngine(), progress: new SynchronousProgress(step =>
        {
            lock (steps)
            {
                steps.Add(step);
            }
        }));

        Assert.Empty(result.Failures);
        Assert.Contains(steps, step => step.Stage == "interpolate");
        Assert.Equal(steps.Select(step => step.OverallFraction).Order(), steps.Select(step => step.OverallFraction));
        Assert.Equal(("write", 2, 2), (steps[^1].Stage, steps[^1].Step, steps[^1].TotalSteps));
    }

    [RequiresToolsFact("ffprobe", "ffmpeg")]
    public async Task A_ping_pong_live_photo_movie_is_interpolated_without_a_seam_and_the_mp4_loops_forward_with_one()
    {
        using var folder = new TempFolder();
        using var interpolation = new FrameInterpolation(InterpolationMode.Auto, TinyModel, folder["work"], releasedWidthsOnly: false);
        var result = await Convert(folder, interpolation, new ShortAiClipEngine(), loop: null); // each format's default loop

        var movie = VideoFormatTests.Probe(result.Companions.Single(file => file.EndsWith(".MOV", StringComparison.Ordinal)));
        var pingPong = (2 * Frames) - 1; // 23 frames at 8 fps: 2.9 s, factor 4, and it turns round instead of jumping
        Assert.Equal((((pingPong - 1) * 4) + 1).ToString(CultureInfo.InvariantCulture), movie["nb_read_frames"]);
        Assert.Equal("30/1", movie["r_frame_rate"]);
        Assert.Equal((Frames * 4).ToString(CultureInfo.InvariantCulture), VideoFormatTests.Probe(result.Files[OutputFormat.Mp4])["nb_read_frames"]);

        // The still-image-time sample sits where the still's frame (engine frame 0, the turn) now plays: frame 11 × 4 at 30 fps.
        var mov = result.Companions.Single(file => file.EndsWith(".MOV", StringComparison.Ordinal));
        var (_, packets, _) = ExternalTools.Run("ffprobe", "-v", "error", "-select_streams", "d:2", "-show_packets", "-of", "compact", mov);
        var pts = double.Parse(packets.Split("pts_time=")[1].Split('|')[0], CultureInfo.InvariantCulture);
        Assert.Equal((Frames - 1) * 4 / 30.0, pts, 0.002);
    }

    [RequiresToolsFact("ffprobe", "ffmpeg")]
    public async Task Without_the_model_auto_keeps_the_clips_frames_and_notes_where_the_model_goes_and_the_command_that_fetches_it()
    {
        using var folder = new TempFolder();
        using var interpolation = new FrameInterpolation(InterpolationMode.Auto, folder["models/rife/flownet.pkl"], folder["work"]);
        var result = await Convert(folder, interpolation, new ShortAiClipEngine());

        Assert.Contains(folder["models/rife/flownet.pkl"], result.InterpolationNote, StringComparison.Ordinal);
        Assert.Contains("`turn-live-photos model download rife`", result.InterpolationNote, StringComparison.Ordinal);
        AssertPlaysAsMade(result);
    }

    [RequiresToolsFact("ffprobe", "ffmpeg")]
    public async Task Off_keeps_the_clips_frames_though_the_model_is_there()
    {
        using var folder = new TempFolder();
        using var interpolation = new FrameInterpolation(InterpolationMode.Off, TinyModel, folder["work"], releasedWidthsOnly: false);
        var result = await Convert(folder, interpolation, new ShortAiClipEngine());

        Assert.Null(result.InterpolationNote);
        AssertPlaysAsMade(result);
    }

    [RequiresToolsFact("ffprobe", "ffmpeg")]
    public async Task A_non_ai_engine_renders_at_its_own_rate_and_is_never_interpolated()
    {
        using var folder = new TempFolder();
        using var interpolation = new FrameInterpolation(InterpolationMode.Rife, TinyModel, folder["work"], releasedWidthsOnly: false);
        var result = await Convert(folder, interpolation, new TurnLivePhotos.Engine.Classic.ClassicMotionEngine());

        Assert.Null(result.InterpolationNote);
        AssertPlaysAsMade(result);
    }

    [Fact]
    public async Task Rife_demanded_without_the_model_is_one_error_naming_the_path_before_anything_is_written()
    {
        using var folder = new TempFolder();
        using var interpolation = new FrameInterpolation(InterpolationMode.Rife, folder["none/flownet.pkl"], folder["work"]);

        var error = await Assert.ThrowsAsync<EngineUnavailableException>(() => Convert(folder, interpolation, new ShortAiClipEngine()));

        Assert.Contains("Interpolation = rife", error.Message, StringComparison.Ordinal);
        Assert.Contains(folder["none/flownet.pkl"], error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        Assert.False(Directory.Exists(folder["out"]));
    }

    [Theory]
    [InlineData("", InterpolationMode.Auto)]
    [InlineData("Interpolation=off", InterpolationMode.Off)]
    [InlineData("Interpolation=RIFE", InterpolationMode.Rife)]
    public void Interpolation_is_read_from_model_options(string line, InterpolationMode expected)
    {
        using var folder = new TempFolder();
        var settings = SettingsLoader.Load(folder.Write("c.ini", $"[StoreOptions]\nModelsHome=m\n[ModelOptions]\n{line}\n"));

        Assert.Equal(expected, settings.Model.Interpolation);
        Assert.Equal(Path.Combine(folder.Path, "m", "rife", "flownet.pkl"), settings.Model.RifeModelPath);
    }

    [Fact]
    public void A_configured_rife_model_path_is_resolved_from_the_configuration_files_folder()
    {
        using var folder = new TempFolder();
        var settings = SettingsLoader.Load(folder.Write("c.ini", "[ModelOptions]\nRifeModelPath=weights/rife.pkl\n"));

        Assert.Equal(Path.Combine(folder.Path, "weights", "rife.pkl"), settings.Model.RifeModelPath);
    }

    [Fact]
    public void An_unknown_interpolation_is_refused_naming_section_key_value_and_source()
    {
        using var folder = new TempFolder();
        var path = folder.Write("bad.ini", "[ModelOptions]\nInterpolation=film\n");

        var error = Assert.Throws<SettingsException>(() => SettingsLoader.Load(path));

        Assert.Contains("[ModelOptions] Interpolation = \"film\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("bad.ini", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Today's behaviour: the MP4 plays each of the clip's frames once at its own rate.</summary>
    private static void AssertPlaysAsMade(ConversionResult result)
    {
        Assert.Empty(result.Failures);
        var mp4 = VideoFormatTests.Probe(result.Files[OutputFormat.Mp4]);
        Assert.Equal($"{Fps}/1", mp4["r_frame_rate"]);
        Assert.Equal(Frames.ToString(CultureInfo.InvariantCulture), mp4["nb_read_frames"]);
    }

    private static Task<ConversionResult> Convert(TempFolder folder, FrameInterpolation interpolation, IMotionEngine engine, LoopMode? loop = LoopMode.Forward, IProgress<MotionProgress>? progress = null)
    {
        var converter = new PhotoConverter(new EngineCatalog(folder["models/none"], classic: engine, interpolation: interpolation), DecodeBudget.Default, NullLogger<PhotoConverter>.Instance);
        var request = new ConversionRequest(TestPhotos.Scene(64, 48), new MotionParameters { Frames = Frames, Fps = Fps }, EngineKind.Classic, folder["out"], "p")
        {
            Outputs = new OutputOptions { Formats = [OutputFormat.Mp4, OutputFormat.Live], Loop = loop },
        };
        return converter.ConvertAsync(request, progress, CancellationToken.None);
    }

    private static RgbImage Photo() => PhotoDecoder.Decode(TestPhotos.Scene(64, 48), DecodeBudget.Default).Image;

    private sealed class SynchronousProgress(Action<MotionProgress> report) : IProgress<MotionProgress>
    {
        public void Report(MotionProgress value) => report(value);
    }
}
