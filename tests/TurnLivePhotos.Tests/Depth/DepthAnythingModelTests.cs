using TurnLivePhotos.Engine.Depth;
using TurnLivePhotos.Engine.Onnx;
using TurnLivePhotos.Engine.Weights;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Depth;

/// <summary>The Depth Anything graph against every stage the original code recorded on a tiny random model.</summary>
public sealed class DepthAnythingModelTests
{
    public static TheoryData<string> Sets => FixtureSets.DepthSets;

    [Theory]
    [MemberData(nameof(Sets))]
    public void Every_recorded_stage_and_the_depth_match_the_original_code(string set)
    {
        var folder = FixtureSets.Folder(set);
        using var weights = Checkpoint.Open(Path.Combine(folder, "model.safetensors"));
        using var io = Checkpoint.Open(Path.Combine(folder, "io.safetensors"));
        var config = DepthAnythingConfig.Load(Path.Combine(folder, "config.json"));
        using var network = OnnxNetwork.Create(DepthAnythingModel.Build(weights, config, stages: true));

        var cases = io.Tensors.Keys.Where(k => k.EndsWith(".pixel_values", StringComparison.Ordinal)).Select(k => k[..^".pixel_values".Length]).ToList();
        Assert.NotEmpty(cases);
        var compared = 0;
        foreach (var name in cases)
        {
            var outputs = network.Run(new Dictionary<string, FloatTensor> { ["pixel_values"] = FixtureSets.Read(io, $"{name}.pixel_values") });
            foreach (var stage in network.Model.Outputs)
            {
                // size_mode.* is recent transformers' variant of the position-embedding resize, which we do not follow.
                if (io.Contains($"{name}.{stage}"))
                {
                    FixtureSets.AssertClose(FixtureSets.Read(io, $"{name}.{stage}"), outputs[stage], 1e-4, $"{name}.{stage}");
                    compared++;
                }
            }

            Assert.True(io.Contains($"{name}.predicted_depth"), $"{name} has no predicted_depth");
        }

        Assert.True(compared > cases.Count, "the intermediate stages were compared too");
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void The_chunked_attention_fallback_matches_too(string set)
    {
        var folder = FixtureSets.Folder(set);
        using var weights = Checkpoint.Open(Path.Combine(folder, "model.safetensors"));
        using var io = Checkpoint.Open(Path.Combine(folder, "io.safetensors"));
        var config = DepthAnythingConfig.Load(Path.Combine(folder, "config.json"));
        using var network = OnnxNetwork.Create(DepthAnythingModel.Build(weights, config, attention: AttentionKernel.Chunked));
        var depth = network.Run(new Dictionary<string, FloatTensor> { ["pixel_values"] = FixtureSets.Read(io, "image.pixel_values") })["predicted_depth"];
        FixtureSets.AssertClose(FixtureSets.Read(io, "image.predicted_depth"), depth, 1e-4, "image.predicted_depth (chunked attention)");
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void The_position_embedding_resize_is_the_original_not_the_size_mode(string set)
    {
        var folder = FixtureSets.Folder(set);
        using var weights = Checkpoint.Open(Path.Combine(folder, "model.safetensors"));
        using var io = Checkpoint.Open(Path.Combine(folder, "io.safetensors"));
        var variants = io.Tensors.Keys.Where(k => k.EndsWith(".size_mode.position_embeddings_interpolated", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(variants);
        using var network = OnnxNetwork.Create(DepthAnythingModel.Build(weights, DepthAnythingConfig.Load(Path.Combine(folder, "config.json")), stages: true));
        foreach (var variant in variants)
        {
            var name = variant[..variant.IndexOf(".size_mode.", StringComparison.Ordinal)];
            var ours = network.Run(new Dictionary<string, FloatTensor> { ["pixel_values"] = FixtureSets.Read(io, $"{name}.pixel_values") })["backbone.position_embeddings_interpolated"];
            var sizeMode = FixtureSets.Read(io, variant);
            var gap = ours.Data.Zip(sizeMode.Data, (a, b) => Math.Abs(a - b)).Max();
            Assert.True(gap > 1e-2, $"{name}: our position embeddings are within {gap:E1} of the size-mode variant, which the original code does not use");
        }
    }
}
