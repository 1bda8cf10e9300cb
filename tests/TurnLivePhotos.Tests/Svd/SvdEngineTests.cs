using Microsoft.Extensions.Logging;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Engine.Svd;
using TurnLivePhotos.Media.Decoding;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Svd;

/// <summary>The SVD engine end to end on the tiny fixture networks laid out as a diffusers model folder.</summary>
public sealed class SvdEngineTests
{
    private static readonly MotionParameters Small = new() { Frames = 3, InferenceSteps = 2, TargetWidth = 64, TargetHeight = 64, Seed = 7, DecodeChunkSize = 2 };

    public static TheoryData<string> Sets => FixtureSets.All;

    [Theory]
    [MemberData(nameof(Sets))]
    public async Task A_portrait_photo_gives_portrait_frames_of_the_requested_count(string set)
    {
        using var temp = new TempFolder();
        using var engine = Engine(set, temp);
        var photo = PhotoDecoder.Decode(TestPhotos.Scene(300, 500)).Image;

        var clip = await engine.GenerateAsync(Small.ToRequest(photo), null, CancellationToken.None);

        Assert.Equal(3, clip.Frames.Count);
        Assert.True(clip.IsGenerative);
        Assert.All(clip.Frames, frame => Assert.True(frame.Height > frame.Width, $"{frame.Width}x{frame.Height} is not portrait"));
        Assert.All(clip.Frames, frame => Assert.Equal(0, frame.Width % 8));
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public async Task The_same_seed_gives_the_same_video(string set)
    {
        using var temp = new TempFolder();
        using var engine = Engine(set, temp);
        var photo = PhotoDecoder.Decode(TestPhotos.Scene(120, 80)).Image;

        var first = await engine.GenerateAsync(Small.ToRequest(photo), null, CancellationToken.None);
        var second = await engine.GenerateAsync(Small.ToRequest(photo), null, CancellationToken.None);
        var other = await engine.GenerateAsync((Small with { Seed = 8 }).ToRequest(photo), null, CancellationToken.None);

        Assert.Equal(first.Frames[1].Pixels, second.Frames[1].Pixels);
        Assert.NotEqual(first.Frames[1].Pixels, other.Frames[1].Pixels);
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public async Task A_second_engine_starts_from_the_graph_cache_and_makes_the_same_video(string set)
    {
        using var temp = new TempFolder();
        var model = TinyModelFolder.Create(set, temp["model"]);
        var options = new SvdEngineOptions(model, Device: ExecutionDevice.Cpu, MemoryMode: MemoryMode.Low, GraphCache: temp["graphs"]);
        var photo = PhotoDecoder.Decode(TestPhotos.Scene(120, 80)).Image;

        MotionClip cold;
        using (var engine = new SvdMotionEngine(options, new RecordingLogger<SvdMotionEngine>()))
        {
            cold = await engine.GenerateAsync(Small.ToRequest(photo), null, CancellationToken.None);
        }

        // A saved graph for each network built (CLIP, VAE encoder, UNet, one VAE decoder per chunk length), each complete.
        var graphs = Directory.GetFiles(temp["graphs"], "*.onnx").Order(StringComparer.Ordinal).Select(File.GetLastWriteTimeUtc).ToList();
        Assert.True(graphs.Count >= 4, $"{graphs.Count} graphs saved for four networks");
        Assert.Empty(Directory.GetDirectories(temp["graphs"]));

        using var warmEngine = new SvdMotionEngine(options, new RecordingLogger<SvdMotionEngine>());
        var warm = await warmEngine.GenerateAsync(Small.ToRequest(photo), null, CancellationToken.None);

        Assert.Equal(graphs, Directory.GetFiles(temp["graphs"], "*.onnx").Order(StringComparer.Ordinal).Select(File.GetLastWriteTimeUtc).ToList());
        Assert.Equal(cold.Frames.Count, warm.Frames.Count);
        for (var i = 0; i < cold.Frames.Count; i++)
        {
            var difference = cold.Frames[i].Pixels.Zip(warm.Frames[i].Pixels, (a, b) => Math.Abs(a - b)).Max();
            Assert.True(difference <= 1, $"frame {i} differs by {difference} levels after a warm start");
        }
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public async Task Cancellation_stops_within_one_step(string set)
    {
        using var temp = new TempFolder();
        using var engine = Engine(set, temp);
        using var cancel = new CancellationTokenSource();
        var events = new List<MotionProgress>();
        var progress = new SynchronousProgress<MotionProgress>(step =>
        {
            events.Add(step);
            if (step is { Stage: "denoise", Step: 1 })
            {
                cancel.Cancel();
            }
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => engine.GenerateAsync(
            (Small with { InferenceSteps = 10 }).ToRequest(PhotoDecoder.Decode(TestPhotos.Scene(64, 64)).Image), progress, cancel.Token));

        // Cancelled after step 1: the run ends before step 2 starts or, at the latest, inside it (the token also
        // terminates ONNX Runtime's run of the step), never later.
        var steps = events.Where(e => e.Stage == "denoise").Select(e => e.Step).ToList();
        Assert.True(steps.SequenceEqual([1]) || steps.SequenceEqual([1, 2]), $"denoise steps reported: {string.Join(", ", steps)}");
        Assert.DoesNotContain(events, e => e.Stage == "decode");
        Assert.Contains(events, e => e.Stage == "encode");
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public async Task Cancellation_reaches_inside_a_denoising_step(string set)
    {
        // The tiny networks made slower by the size (256x256, 8 frames: a guided UNet step of hundreds of nodes). The
        // cancel is timed from the machine's own step time (steps 1 -> 2), a quarter of the way into the third step, so
        // it lands inside ONNX Runtime's run of it however fast the machine is — and still does when the third step
        // runs twice as fast as the second (a parallel test's burst slowed the second: half-way once missed the run and
        // met the step boundary); the run must end within a second.
        using var temp = new TempFolder();
        using var engine = Engine(set, temp);
        using var cancel = new CancellationTokenSource();
        var events = new List<MotionProgress>();
        var cancelledAt = new System.Diagnostics.Stopwatch();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var firstStepDone = TimeSpan.Zero;
        var stepTime = TimeSpan.Zero;
        var progress = new SynchronousProgress<MotionProgress>(step =>
        {
            events.Add(step);
            if (step is { Stage: "denoise", Step: 1 })
            {
                firstStepDone = clock.Elapsed;
            }
            else if (step is { Stage: "denoise", Step: 2 })
            {
                stepTime = clock.Elapsed - firstStepDone;
                _ = Task.Delay(stepTime / 4).ContinueWith(_ =>
                {
                    cancelledAt.Start();
                    cancel.Cancel();
                }, TaskScheduler.Default);
            }
        });
        var large = Small with { Frames = 8, InferenceSteps = 5, TargetWidth = 256, TargetHeight = 256 };

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => engine.GenerateAsync(
            large.ToRequest(PhotoDecoder.Decode(TestPhotos.Scene(256, 256)).Image), progress, cancel.Token));
        var latency = cancelledAt.Elapsed;

        // Terminated inside ONNX Runtime's run of step 3 (not at a step boundary), and soon: within a second, or — on a
        // machine so loaded that one node of the step takes longer — sooner than the rest of the step would have taken.
        Assert.IsType<Microsoft.ML.OnnxRuntime.OnnxRuntimeException>(error.InnerException);
        var bound = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(1).Ticks, stepTime.Ticks / 2));
        Assert.True(latency < bound, $"the step went on for {latency.TotalMilliseconds:0} ms after the cancel (step time {stepTime.TotalMilliseconds:0} ms)");
        Assert.Equal([1, 2], events.Where(e => e.Stage == "denoise").Select(e => e.Step));
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public async Task A_missing_gpu_falls_back_to_the_cpu_with_a_warning(string set)
    {
        using var temp = new TempFolder();
        var logger = new RecordingLogger<SvdMotionEngine>();
        using var engine = new SvdMotionEngine(new SvdEngineOptions(TinyModelFolder.Create(set, temp["model"]), Device: ExecutionDevice.Cuda), logger);

        var clip = await engine.GenerateAsync(Small.ToRequest(PhotoDecoder.Decode(TestPhotos.Scene(64, 64)).Image), null, CancellationToken.None);

        Assert.Equal(3, clip.Frames.Count);
        Assert.Contains(logger.Messages, m => m.Level == LogLevel.Warning && m.Text.Contains("CPU", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public async Task A_corrupt_weight_file_is_a_clear_engine_error_and_the_engine_recovers(string set)
    {
        using var temp = new TempFolder();
        var folder = TinyModelFolder.Create(set, temp["model"]);
        var unet = Path.Combine(folder, "unet", "diffusion_pytorch_model.safetensors");
        var good = await File.ReadAllBytesAsync(unet);
        await File.WriteAllBytesAsync(unet, good[..(good.Length / 2)]);
        using var engine = new SvdMotionEngine(new SvdEngineOptions(folder), new RecordingLogger<SvdMotionEngine>());
        var photo = PhotoDecoder.Decode(TestPhotos.Scene(64, 64)).Image;

        var error = await Assert.ThrowsAsync<EngineException>(() => engine.GenerateAsync(Small.ToRequest(photo), null, CancellationToken.None));

        Assert.Contains("diffusion_pytorch_model.safetensors", error.Message, StringComparison.Ordinal);
        await File.WriteAllBytesAsync(unet, good);
        var clip = await engine.GenerateAsync(Small.ToRequest(photo), null, CancellationToken.None);
        Assert.Equal(3, clip.Frames.Count);
    }

    [Theory]
    [InlineData(4000, 3000, 1024, 576, 64, 896, 640)]
    [InlineData(3000, 4000, 1024, 576, 64, 640, 896)]
    [InlineData(1920, 1080, 1024, 576, 64, 1024, 576)]
    [InlineData(1000, 1000, 1024, 576, 64, 768, 768)]
    [InlineData(300, 500, 64, 64, 8, 48, 80)]
    public void The_generation_size_keeps_the_aspect_in_multiples_of_the_stride(int w, int h, int tw, int th, int stride, int ew, int eh)
    {
        Assert.Equal((ew, eh), SvdResolution.For(w, h, tw, th, stride));
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void The_fp16_variant_is_preferred_when_present(string set)
    {
        using var temp = new TempFolder();
        var folder = TinyModelFolder.Create(set, temp["model"], halfPrecisionVariant: true);

        Assert.EndsWith("diffusion_pytorch_model.fp16.safetensors", SvdModelFolder.Open(folder, "fp16").Unet.Weights, StringComparison.Ordinal);
        Assert.EndsWith("diffusion_pytorch_model.safetensors", SvdModelFolder.Open(folder, variant: null).Unet.Weights, StringComparison.Ordinal);
    }

    private static SvdMotionEngine Engine(string set, TempFolder temp) =>
        new(new SvdEngineOptions(TinyModelFolder.Create(set, temp["model"]), Device: ExecutionDevice.Cpu), new RecordingLogger<SvdMotionEngine>());
}
