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

/// <summary>The pipeline with the AnimateLCM sampler against the authors' own pipeline run, every random draw replayed.</summary>
public sealed class AnimateLcmPipelineTests
{
    public static TheoryData<string> Sets => FixtureSets.AnimateLcm;

    [Theory]
    [MemberData(nameof(Sets))]
    public void The_authors_pipeline_run_is_reproduced_step_by_step(string set)
    {
        using var temp = new TempFolder();
        var pipelineFolder = FixtureSets.Folder(set, "pipeline");
        var folder = SvdModelFolder.Open(TinyModelFolder.CreateFromComponents(pipelineFolder, temp["model"]));
        using var io = Checkpoint.Open(Path.Combine(pipelineFolder, "io.safetensors"));
        using var parameters = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(pipelineFolder, "params.json")));
        var p = parameters.RootElement;
        var image = SvdPreprocessing.ToSignedTensor(PhotoDecoder.Decode(File.ReadAllBytes(Path.Combine(pipelineFolder, "input.png"))).Image);
        var schedulerConfig = AnimateLcmSchedulerConfig.Load(Path.Combine(FixtureSets.Folder(set, "scheduler"), "scheduler_config.json"));
        using var pipeline = new SvdPipeline(folder, () => new SessionOptions(), MemoryMode.Low, animateLcm: schedulerConfig);
        using var measured = new PipelineMeasurements(pipeline);

        // The draws in the order the reference made them: augmentation, starting latents, then one per step.
        var draws = p.GetProperty("random_draws").EnumerateArray().Select(d => d.GetProperty("meaning").GetString()!).ToList();
        var stepCount = p.GetProperty("num_inference_steps").GetInt32();
        var noise = new RecordedNoise(draws.Select((meaning, index) => FixtureSets.Read(io, index switch
        {
            0 => "aug_noise",
            1 => "latents_noise",
            _ => $"step.{index - 2}.scheduler_noise",
        })).ToList());
        Assert.Equal(2 + stepCount, draws.Count);
        var steps = new List<FloatTensor>();

        var result = pipeline.Run(image, PipelineRunOptions.FromPipelineCall(p, stepCount, Sampler.AnimateLcm).ToRunOptions(noise: noise), progress: null, CancellationToken.None, (_, latents) => steps.Add(latents));

        Assert.Equal(0, noise.Remaining);
        FixtureSets.AssertClose(FixtureSets.Read(io, "image_embeddings"), result.ImageEmbeddings, 1e-4, "image_embeddings");
        FixtureSets.AssertClose(FixtureSets.Read(io, "image_latents"), result.ImageLatents with { Shape = io["image_latents"].Shape }, 1e-4, "image_latents");
        Assert.Equal(stepCount, steps.Count);
        for (var i = 0; i < steps.Count; i++)
        {
            FixtureSets.AssertClose(FixtureSets.Read(io, $"step.{i}.latents_after"), steps[i], 1e-4, $"step {i} latents");
        }

        FixtureSets.AssertClose(FixtureSets.Read(io, "latents_final"), result.FinalLatents, 1e-4, "latents_final");
        var expectedFrames = FixtureSets.Read(io, "frames");
        FixtureSets.AssertClose(expectedFrames with { Shape = expectedFrames.Shape[1..] }, result.Frames, 1e-4, "frames");
        Assert.Equal(2L * stepCount, measured.UNetEvaluations);
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void With_the_engines_own_generator_a_seed_repeats_the_run_and_another_seed_does_not(string set)
    {
        using var temp = new TempFolder();
        var pipelineFolder = FixtureSets.Folder(set, "pipeline");
        var folder = SvdModelFolder.Open(TinyModelFolder.CreateFromComponents(pipelineFolder, temp["model"]));
        var image = SvdPreprocessing.ToSignedTensor(PhotoDecoder.Decode(File.ReadAllBytes(Path.Combine(pipelineFolder, "input.png"))).Image);
        using var pipeline = new SvdPipeline(folder, () => new SessionOptions(), MemoryMode.Fast);
        FloatTensor Run(ulong seed) => pipeline.Run(image, new MotionParameters { Sampler = Sampler.AnimateLcm, Frames = 3, InferenceSteps = 4, MaxGuidanceScale = 1.2, MotionBucketId = 80, Fps = 8 }.ToRunOptions(seed: seed), null, CancellationToken.None).Frames;

        var first = Run(7);
        var again = Run(7);
        var other = Run(8);

        Assert.Equal(first.Data, again.Data);
        Assert.NotEqual(first.Data, other.Data);
    }
}
