using TurnLivePhotos.Engine.Onnx;
using TurnLivePhotos.Engine.Weights;

namespace TurnLivePhotos.Engine.Depth;

/// <summary>
/// transformers' DepthAnythingForDepthEstimation (Depth Anything V1/V2: DINOv2 backbone + DPT neck and head) as
/// one ONNX graph over the safetensors weights, bound by their transformers names. Input <c>pixel_values</c>
/// (B, 3, H, W), ImageNet-normalised, H and W multiples of the patch size, any size (the position embeddings are
/// resized inside the graph). Output <c>predicted_depth</c> (B, H, W): relative inverse depth (larger = nearer).
/// </summary>
public static class DepthAnythingModel
{
    /// <summary>The state dict (names and shapes, transformers layout) this config's graph binds; for synthetic checkpoints.</summary>
    public static IReadOnlyList<WeightShape> StateDict(DepthAnythingConfig config)
    {
        var inventory = new WeightInventory();
        Define(new GraphBuilder(inventory), config, stages: false);
        return inventory.Entries;
    }

    /// <param name="stages">Also output every stage the reference fixtures record, under their names (for tests).</param>
    public static OnnxModel Build(Checkpoint weights, DepthAnythingConfig config, bool stages = false, Precision precision = Precision.Float32, AttentionKernel attention = AttentionKernel.Fused)
    {
        var g = new GraphBuilder(weights, precision, attention);
        Define(g, config, stages);
        return g.Build("depth_anything");
    }

    private static void Define(GraphBuilder g, DepthAnythingConfig config, bool stages)
    {
        ArgumentNullException.ThrowIfNull(config);
        var pixels = g.Input("pixel_values", null, config.Backbone.NumChannels, null, null);
        var probes = new List<(Value Value, string Name)>();
        Action<Value, string>? probe = stages ? (value, name) => probes.Add((value, name)) : null;

        var grid = PatchGrid.Of(g, pixels, config.Backbone.PatchSize);
        var features = new Dinov2Backbone(g, "backbone", config.Backbone).Forward(pixels, grid, probe);
        var fused = new DepthAnythingNeck(g, "neck", config).Forward(features, grid, probe);
        g.Output(new DepthAnythingHead(g, "head", config).Forward(fused, grid, probe), "predicted_depth");
        probes.ForEach(p => g.Output(p.Value, p.Name));
    }
}
