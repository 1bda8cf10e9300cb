using TurnLivePhotos.Engine.Onnx;
using TurnLivePhotos.Engine.Svd;
using TurnLivePhotos.Engine.Weights;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Svd;

public sealed class ClipVisionModelTests
{
    public static TheoryData<string> Sets => FixtureSets.All;

    [Theory]
    [MemberData(nameof(Sets))]
    public void The_image_encoder_reproduces_transformers(string set)
    {
        var folder = FixtureSets.Folder(set, "clip_vision");
        using var weights = Checkpoint.Open(Path.Combine(folder, "weights.safetensors"));
        using var io = Checkpoint.Open(Path.Combine(folder, "io.safetensors"));
        var config = ClipVisionModel.Config.From(ModelConfig.Load(Path.Combine(folder, "config.json")));

        using var network = OnnxNetwork.Create(ClipVisionModel.Build(weights, config));
        var outputs = network.Run(new Dictionary<string, FloatTensor> { ["pixel_values"] = FixtureSets.Read(io, "pixel_values") });

        FixtureSets.AssertClose(FixtureSets.Read(io, "image_embeds"), outputs["image_embeds"], 1e-4, "image_embeds");
        FixtureSets.AssertClose(FixtureSets.Read(io, "last_hidden_state"), outputs["last_hidden_state"], 1e-4, "last_hidden_state");
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void An_fp16_copy_of_the_weights_loads_and_runs(string set)
    {
        var folder = FixtureSets.Folder(set, "clip_vision");
        using var temp = new TempFolder();
        var halfPath = HalfPrecision.Convert(Path.Combine(folder, "weights.safetensors"), temp["clip.fp16.safetensors"]);
        using var weights = Checkpoint.Open(halfPath);
        using var io = Checkpoint.Open(Path.Combine(folder, "io.safetensors"));
        var config = ClipVisionModel.Config.From(ModelConfig.Load(Path.Combine(folder, "config.json")));
        Assert.All(weights.Tensors.Values, t => Assert.Equal(WeightType.Float16, t.Type));

        using var network = OnnxNetwork.Create(ClipVisionModel.Build(weights, config));
        var outputs = network.Run(new Dictionary<string, FloatTensor> { ["pixel_values"] = FixtureSets.Read(io, "pixel_values") });

        // fp16 weights carry ~3 significant digits; through two layers the embeddings stay within 2e-2.
        FixtureSets.AssertClose(FixtureSets.Read(io, "image_embeds"), outputs["image_embeds"], 2e-2, "image_embeds (fp16 weights)");
    }
}
