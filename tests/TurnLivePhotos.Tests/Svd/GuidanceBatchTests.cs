using Microsoft.ML.OnnxRuntime;
using TurnLivePhotos.Bench;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Engine.Svd;
using TurnLivePhotos.Media.Decoding;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Svd;

/// <summary>Classifier-free guidance costs a second UNet batch row only when some frame's scale exceeds 1; low memory mode runs the rows (and the decoder's frames) a few at a time.</summary>
public sealed class GuidanceBatchTests
{
    public static TheoryData<string> Sets => FixtureSets.All;

    [Theory]
    [MemberData(nameof(Sets))]
    public void Guidance_of_one_on_every_frame_runs_the_conditional_half_only_and_gives_the_same_clip(string set)
    {
        using var temp = new TempFolder();
        var (folder, image) = TinyModel(set, temp);

        using var pipeline = new SvdPipeline(folder, () => new SessionOptions(), MemoryMode.Fast);
        using var measured = new PipelineMeasurements(pipeline);
        foreach (var sampler in Enum.GetValues<Sampler>())
        {
            var options = new MotionParameters { Sampler = sampler, Frames = 3, InferenceSteps = 3, MinGuidanceScale = 1.0, MaxGuidanceScale = 1.0 }.ToRunOptions(seed: 11);

            var before = measured.UNetEvaluations;
            var withoutGuidance = pipeline.Run(image, options, null, CancellationToken.None);
            var unguided = measured.UNetEvaluations - before;
            // Just above 1: guidance is on (both halves run) yet u + g·(c − u) is c to within float rounding.
            before = measured.UNetEvaluations;
            var withGuidance = pipeline.Run(image, options with { Sampling = options.Sampling with { MaxGuidanceScale = 1.0000001 } }, null, CancellationToken.None);
            var guided = measured.UNetEvaluations - before;

            Assert.Equal(3, unguided);
            Assert.Equal(6, guided);
            FixtureSets.AssertClose(withGuidance.FinalLatents, withoutGuidance.FinalLatents, 1e-4, $"{sampler}: final latents");
            FixtureSets.AssertClose(withGuidance.Frames, withoutGuidance.Frames, 1e-4, $"{sampler}: frames");
        }
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void Guidance_below_one_on_every_frame_also_skips_the_unconditional_half(string set)
    {
        using var temp = new TempFolder();
        var (folder, image) = TinyModel(set, temp);
        using var pipeline = new SvdPipeline(folder, () => new SessionOptions(), MemoryMode.Fast);
        using var measured = new PipelineMeasurements(pipeline);

        pipeline.Run(image, new MotionParameters { Frames = 2, InferenceSteps = 2, MinGuidanceScale = 0.5, MaxGuidanceScale = 1.0 }.ToRunOptions(), null, CancellationToken.None);
        Assert.Equal(2, measured.UNetEvaluations);
        pipeline.Run(image, new MotionParameters { Frames = 2, InferenceSteps = 2, MinGuidanceScale = 1.0, MaxGuidanceScale = 1.5 }.ToRunOptions(), null, CancellationToken.None);
        Assert.Equal(2 + 4, measured.UNetEvaluations);
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void Low_memory_mode_runs_the_guidance_halves_one_at_a_time_and_gives_the_same_clip(string set)
    {
        using var temp = new TempFolder();
        var (folder, image) = TinyModel(set, temp);
        var parameters = new MotionParameters { Frames = 3, InferenceSteps = 2, MinGuidanceScale = 1.0, MaxGuidanceScale = 3.0, DecodeChunkSize = 3 };
        var options = parameters.ToRunOptions(seed: 5);

        using var fast = new SvdPipeline(folder, () => new SessionOptions(), MemoryMode.Fast);
        using var low = new SvdPipeline(folder, () => new SessionOptions(), MemoryMode.Low);
        using var fastCounts = new PipelineMeasurements(fast);
        using var lowCounts = new PipelineMeasurements(low);
        var together = fast.Run(image, options, null, CancellationToken.None);
        var apart = low.Run(image, options, null, CancellationToken.None);

        Assert.Equal((2 * 2, 2), (fastCounts.UNetEvaluations, fastCounts.UNetCalls));
        Assert.Equal((2 * 2, 2 * 2), (lowCounts.UNetEvaluations, lowCounts.UNetCalls));
        // The graph computes each row on its own either way; ONNX Runtime may still pick another kernel for a one-row
        // product and sum in another order, so the runs may differ by float32 rounding carried through the steps.
        var unet = UNetSpatioTemporalConditionModel.Config.From(folder.LoadConfig(folder.Unet.Config));
        var tolerance = FloatAccumulation.Sampling(unet, parameters.InferenceSteps, parameters.MaxGuidanceScale);
        FixtureSets.AssertClose(apart.FinalLatents, together.FinalLatents, tolerance, "final latents");
        FixtureSets.AssertClose(apart.Frames, together.Frames, tolerance, "frames");
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void Without_a_decode_chunk_size_each_memory_mode_decodes_its_own_number_of_frames_at_a_time(string set)
    {
        using var temp = new TempFolder();
        var (folder, image) = TinyModel(set, temp);
        var options = new MotionParameters { Frames = NetworkMemory.FastDecodeChunk + 1, InferenceSteps = 1 }.ToRunOptions(seed: 5);

        foreach (var (mode, chunks) in new[] { (MemoryMode.Low, (NetworkMemory.FastDecodeChunk + 1 + NetworkMemory.LowMemoryDecodeChunk - 1) / NetworkMemory.LowMemoryDecodeChunk), (MemoryMode.Fast, (NetworkMemory.FastDecodeChunk + 1 + NetworkMemory.FastDecodeChunk - 1) / NetworkMemory.FastDecodeChunk) })
        {
            using var pipeline = new SvdPipeline(folder, () => new SessionOptions(), mode);
            var decodes = new List<MotionProgress>();
            var result = pipeline.Run(image, options, new SynchronousProgress<MotionProgress>(p => { if (p.Stage == "decode") { decodes.Add(p); } }), CancellationToken.None);
            Assert.Equal(NetworkMemory.FastDecodeChunk + 1, result.Frames.Shape[0]);
            Assert.All(decodes, p => Assert.Equal(chunks, p.TotalSteps));
            Assert.Equal(chunks, decodes.Count);
        }
    }

    /// <summary>The set's tiny networks as a model folder, and the set's pipeline input photo as the UNet's image.</summary>
    private static (SvdModelFolder Folder, TurnLivePhotos.Engine.Onnx.FloatTensor Image) TinyModel(string set, TempFolder temp) =>
        (SvdModelFolder.Open(TinyModelFolder.Create(set, temp["model"])),
         SvdPreprocessing.ToSignedTensor(PhotoDecoder.Decode(File.ReadAllBytes(Path.Combine(FixtureSets.Folder(set, "pipeline"), "input.png"))).Image));
}
