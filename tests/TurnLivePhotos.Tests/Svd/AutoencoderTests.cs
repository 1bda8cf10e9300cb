using TurnLivePhotos.Engine.Onnx;
using TurnLivePhotos.Engine.Svd;
using TurnLivePhotos.Engine.Weights;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Svd;

public sealed class AutoencoderTests
{
    public static TheoryData<string> Sets => FixtureSets.All;

    [Theory]
    [MemberData(nameof(Sets))]
    public void The_encoder_gives_the_posterior_mean_of_diffusers(string set)
    {
        var (folder, config) = Load(set);
        using var weights = Checkpoint.Open(Path.Combine(folder, "weights.safetensors"));
        using var io = Checkpoint.Open(Path.Combine(folder, "io.safetensors"));

        using var encoder = OnnxNetwork.Create(AutoencoderKLTemporalDecoder.BuildEncoder(weights, config));
        var outputs = encoder.Run(new Dictionary<string, FloatTensor> { ["image"] = FixtureSets.Read(io, "encode.input") });

        FixtureSets.AssertClose(FixtureSets.Read(io, "encode.moments"), outputs["moments"], 1e-4, "moments");
        FixtureSets.AssertClose(FixtureSets.Read(io, "encode.mean"), outputs["mean"], 1e-4, "mean");
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void The_temporal_decoder_reproduces_every_recorded_decode(string set)
    {
        var (folder, config) = Load(set);
        using var weights = Checkpoint.Open(Path.Combine(folder, "weights.safetensors"));
        using var io = Checkpoint.Open(Path.Combine(folder, "io.safetensors"));
        var cases = io.Tensors.Keys.Where(k => k.EndsWith(".num_frames", StringComparison.Ordinal)).Select(k => k[..^".num_frames".Length]).ToList();
        Assert.NotEmpty(cases);

        foreach (var name in cases)
        {
            var frames = (int)io.ReadFloat32($"{name}.num_frames")[0];
            using var decoder = OnnxNetwork.Create(AutoencoderKLTemporalDecoder.BuildDecoder(weights, config, frames));
            var outputs = decoder.Run(new Dictionary<string, FloatTensor> { ["latents"] = FixtureSets.Read(io, $"{name}.z") });

            FixtureSets.AssertClose(FixtureSets.Read(io, $"{name}.sample"), outputs["sample"], 1e-4, $"{name}.sample ({frames} frames)");
        }
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void The_downsampling_factor_and_scaling_come_from_the_config(string set)
    {
        var (folder, config) = Load(set);
        using var io = Checkpoint.Open(Path.Combine(folder, "io.safetensors"));

        Assert.Equal(io["encode.input"].Shape[2] / io["encode.mean"].Shape[2], config.DownsamplingFactor);
        Assert.Equal(io.ReadFloat32("scaling_factor")[0], config.ScalingFactor);
    }

    private static (string Folder, AutoencoderKLTemporalDecoder.Config Config) Load(string set)
    {
        var folder = FixtureSets.Folder(set, "vae");
        return (folder, AutoencoderKLTemporalDecoder.Config.From(ModelConfig.Load(Path.Combine(folder, "config.json"))));
    }
}
