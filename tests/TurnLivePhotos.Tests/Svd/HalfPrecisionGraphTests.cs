using TurnLivePhotos.Engine.Onnx;
using TurnLivePhotos.Engine.Svd;
using TurnLivePhotos.Engine.Weights;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Svd;

/// <summary>
/// Graphs built in fp16 (what GPU execution providers get) still compute the same function. On CPU, ONNX Runtime
/// runs the fp16 nodes it lacks kernels for through inserted casts, so the arithmetic precision is what is tested:
/// fp16 activations carry ~3 significant digits, hence the looser tolerance (2e-2 of max(1, |ref|)).
/// </summary>
public sealed class HalfPrecisionGraphTests
{
    private const double HalfTolerance = 2e-2;

    public static TheoryData<string> Sets => FixtureSets.All;

    [Theory]
    [MemberData(nameof(Sets))]
    public void The_image_encoder_in_fp16_matches_the_reference(string set)
    {
        var folder = FixtureSets.Folder(set, "clip_vision");
        using var weights = Checkpoint.Open(Path.Combine(folder, "weights.safetensors"));
        using var io = Checkpoint.Open(Path.Combine(folder, "io.safetensors"));
        var config = ClipVisionModel.Config.From(ModelConfig.Load(Path.Combine(folder, "config.json")));

        using var network = OnnxNetwork.Create(ClipVisionModel.Build(weights, config, Precision.Float16));
        var outputs = network.Run(new Dictionary<string, FloatTensor> { ["pixel_values"] = FixtureSets.Read(io, "pixel_values") });

        FixtureSets.AssertClose(FixtureSets.Read(io, "image_embeds"), outputs["image_embeds"], HalfTolerance, "image_embeds (fp16 graph)");
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void The_vae_in_fp16_matches_the_reference(string set)
    {
        var folder = FixtureSets.Folder(set, "vae");
        using var weights = Checkpoint.Open(HalfPrecision.Convert(Path.Combine(folder, "weights.safetensors"), Path.Combine(Path.GetTempPath(), $"tlp-vae-{Guid.NewGuid():N}.safetensors")));
        using var io = Checkpoint.Open(Path.Combine(folder, "io.safetensors"));
        var config = AutoencoderKLTemporalDecoder.Config.From(ModelConfig.Load(Path.Combine(folder, "config.json")));
        try
        {
            using var encoder = OnnxNetwork.Create(AutoencoderKLTemporalDecoder.BuildEncoder(weights, config, Precision.Float16));
            var mean = encoder.Run(new Dictionary<string, FloatTensor> { ["image"] = FixtureSets.Read(io, "encode.input") })["mean"];
            FixtureSets.AssertClose(FixtureSets.Read(io, "encode.mean"), mean, HalfTolerance, "encode.mean (fp16 graph, fp16 weights)");

            var frames = (int)io.ReadFloat32("decode.num_frames")[0];
            using var decoder = OnnxNetwork.Create(AutoencoderKLTemporalDecoder.BuildDecoder(weights, config, frames, Precision.Float16));
            var sample = decoder.Run(new Dictionary<string, FloatTensor> { ["latents"] = FixtureSets.Read(io, "decode.z") })["sample"];
            FixtureSets.AssertClose(FixtureSets.Read(io, "decode.sample"), sample, HalfTolerance, "decode.sample (fp16 graph, fp16 weights)");
        }
        finally
        {
            File.Delete(weights.Path);
        }
    }
}
