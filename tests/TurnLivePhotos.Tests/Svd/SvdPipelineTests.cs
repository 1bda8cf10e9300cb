using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using TurnLivePhotos.Bench;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Engine.Onnx;
using TurnLivePhotos.Engine.Svd;
using TurnLivePhotos.Engine.Weights;
using TurnLivePhotos.Media.Decoding;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Svd;

/// <summary>The whole image-to-video pipeline against diffusers' recorded run (given its latents and augmentation noise).</summary>
public sealed class SvdPipelineTests
{
    public static TheoryData<string> Sets => FixtureSets.All;

    [Theory]
    [MemberData(nameof(Sets))]
    public void The_pipeline_reproduces_every_step_and_the_frames(string set)
    {
        using var temp = new TempFolder();
        var folder = SvdModelFolder.Open(TinyModelFolder.Create(set, temp["model"]));
        var pipelineFolder = FixtureSets.Folder(set, "pipeline");
        using var io = Checkpoint.Open(Path.Combine(pipelineFolder, "io.safetensors"));
        using var parameters = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(pipelineFolder, "params.json")));
        var p = parameters.RootElement;
        var image = SvdPreprocessing.ToSignedTensor(PhotoDecoder.Decode(File.ReadAllBytes(Path.Combine(pipelineFolder, "input.png"))).Image);
        using var pipeline = new SvdPipeline(folder, () => new SessionOptions(), MemoryMode.Low);
        var steps = new List<FloatTensor>();

        var result = pipeline.Run(image, PipelineRunOptions.FromPipelineCall(p, p.GetProperty("num_inference_steps").GetInt32()).ToRunOptions(noise: new RecordedNoise([FixtureSets.Read(io, "aug_noise"), FixtureSets.Read(io, "latents_input")])), progress: null, CancellationToken.None, (_, latents) => steps.Add(latents));

        FixtureSets.AssertClose(FixtureSets.Read(io, "image_embeddings"), result.ImageEmbeddings, 1e-4, "image_embeddings");
        FixtureSets.AssertClose(FixtureSets.Read(io, "image_latents"), result.ImageLatents with { Shape = io["image_latents"].Shape }, 1e-4, "image_latents");
        Assert.Equal(p.GetProperty("num_inference_steps").GetInt32(), steps.Count);
        for (var i = 0; i < steps.Count; i++)
        {
            FixtureSets.AssertClose(FixtureSets.Read(io, $"step.{i}.latents_after"), steps[i], 1e-4, $"step {i} latents");
        }

        FixtureSets.AssertClose(FixtureSets.Read(io, "latents_final"), result.FinalLatents, 1e-4, "latents_final");
        var expectedFrames = FixtureSets.Read(io, "frames");
        FixtureSets.AssertClose(expectedFrames with { Shape = expectedFrames.Shape[1..] }, result.Frames, 1e-4, "frames");
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void A_size_the_unet_cannot_take_is_one_clear_error_before_any_network_loads(string set)
    {
        using var temp = new TempFolder();
        var folder = SvdModelFolder.Open(TinyModelFolder.Create(set, temp["model"]));
        using var pipeline = new SvdPipeline(folder, () => new SessionOptions(), MemoryMode.Low);
        using var measured = new PipelineMeasurements(pipeline);
        Assert.True(pipeline.Stride > 1, $"stride {pipeline.Stride}: every size would be valid");
        var width = (pipeline.Stride * 2) + 1;
        var height = pipeline.Stride;

        var error = Assert.Throws<TurnLivePhotos.Engine.EngineException>(() =>
            pipeline.Run(new FloatTensor(new float[3 * width * height], [1, 3, height, width]), new MotionParameters { Frames = 2, InferenceSteps = 1 }.ToRunOptions(), progress: null, CancellationToken.None));

        Assert.Contains($"{width}x{height}", error.Message, StringComparison.Ordinal);
        Assert.Contains($"multiples of {pipeline.Stride}", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Empty(measured.LoadTimes);
    }

    [Fact]
    public void Guidance_per_frame_is_torch_linspace()
    {
        Assert.Equal([1f, 1.75f, 2.5f], SvdPipeline.Linspace(1f, 2.5f, 3));
        var many = SvdPipeline.Linspace(1f, 3f, 25);
        Assert.Equal(1f, many[0]);
        Assert.Equal(3f, many[^1]);
        Assert.Equal(25, many.Length);
    }

    [Fact]
    public void The_noise_generator_is_deterministic_per_seed_and_standard_normal()
    {
        var a = new GaussianNoise(42).Next(100_001);
        var b = new GaussianNoise(42).Next(100_001);
        var c = new GaussianNoise(43).Next(100_001);

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        var mean = a.Average();
        var variance = a.Select(x => (x - mean) * (x - mean)).Average();
        Assert.InRange(mean, -0.02, 0.02);
        Assert.InRange(variance, 0.98, 1.02);
    }
}
