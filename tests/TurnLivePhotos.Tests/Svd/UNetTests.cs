using TurnLivePhotos.Engine.Onnx;
using TurnLivePhotos.Engine.Svd;
using TurnLivePhotos.Engine.Weights;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Svd;

public sealed class UNetTests
{
    public static TheoryData<string> Sets => FixtureSets.All;

    [Theory]
    [MemberData(nameof(Sets))]
    public void The_unet_reproduces_diffusers_and_every_recorded_intermediate(string set)
    {
        var (weights, io, config) = Open(set);
        using var _ = weights;
        using var __ = io;
        using var intermediates = Checkpoint.Open(Path.Combine(FixtureSets.Folder(set, "unet"), "unet_intermediates.safetensors"));
        var frames = (int)io["sample"].Shape[1];

        using var unet = OnnxNetwork.Create(UNetSpatioTemporalConditionModel.Build(weights, config, frames, exposeIntermediates: true));
        var outputs = unet.Run(Inputs(io, "encoder_hidden_states"));

        FixtureSets.AssertClose(FixtureSets.Read(io, "out_sample"), outputs["out_sample"], 1e-4, "out_sample");
        var compared = 0;
        foreach (var name in intermediates.Tensors.Keys.Where(outputs.ContainsKey))
        {
            FixtureSets.AssertClose(FixtureSets.Read(intermediates, name), outputs[name], 1e-4, name);
            compared++;
        }

        Assert.True(compared >= 10, $"only {compared} intermediates were compared");
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void Several_context_tokens_exercise_the_cross_attention(string set)
    {
        var (weights, io, config) = Open(set);
        using var _ = weights;
        using var __ = io;
        if (!io.Contains("seq3.out_sample"))
        {
            return;
        }

        using var unet = OnnxNetwork.Create(UNetSpatioTemporalConditionModel.Build(weights, config, (int)io["sample"].Shape[1]));
        var outputs = unet.Run(Inputs(io, "seq3.encoder_hidden_states"));

        FixtureSets.AssertClose(FixtureSets.Read(io, "seq3.out_sample"), outputs["out_sample"], 1e-4, "seq3.out_sample");
    }

    private static Dictionary<string, FloatTensor> Inputs(Checkpoint io, string context) => new()
    {
        ["sample"] = FixtureSets.Read(io, "sample"),
        ["timestep"] = FixtureSets.Read(io, "timestep"),
        ["encoder_hidden_states"] = FixtureSets.Read(io, context),
        ["added_time_ids"] = FixtureSets.Read(io, "added_time_ids"),
    };

    private static (Checkpoint Weights, Checkpoint Io, UNetSpatioTemporalConditionModel.Config Config) Open(string set)
    {
        var folder = FixtureSets.Folder(set, "unet");
        return (Checkpoint.Open(Path.Combine(folder, "weights.safetensors")),
                Checkpoint.Open(Path.Combine(folder, "io.safetensors")),
                UNetSpatioTemporalConditionModel.Config.From(ModelConfig.Load(Path.Combine(folder, "config.json"))));
    }
}
