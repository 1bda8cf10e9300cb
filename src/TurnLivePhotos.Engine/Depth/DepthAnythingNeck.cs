using TurnLivePhotos.Engine.Onnx;

namespace TurnLivePhotos.Engine.Depth;

/// <summary>
/// transformers' DepthAnythingNeck (module prefix <c>neck</c>, the original's DPT <c>depth_head</c> minus its
/// output convs): reassemble each backbone feature map into an image at its own scale, project every one to the
/// fusion width (<c>convs</c>), then fuse coarse to fine.
/// </summary>
public sealed class DepthAnythingNeck(GraphBuilder g, string prefix, DepthAnythingConfig config) : Layer(g, prefix)
{
    /// <summary>The fused maps, coarsest first (fusion_stage.0 … 3).</summary>
    public IReadOnlyList<Value> Forward(IReadOnlyList<Value> features, PatchGrid grid, Action<Value, string>? probe = null)
    {
        var reassembled = features.Select((f, i) => Reassemble(f, grid, i)).ToList();
        var projected = reassembled.Select((r, i) =>
            new Conv(Graph, Child($"convs.{i}"), config.NeckHiddenSizes[i], config.FusionHiddenSize, [3, 3], [1, 1, 1, 1], bias: false).Forward(r)).ToList();

        // DepthAnythingFeatureFusionStage: walk from the coarsest map; each layer ends at the next-finer map's size
        // (the last one doubles), so the running map always matches the next residual.
        var fused = new List<Value>();
        Value? running = null;
        var count = projected.Count;
        for (var j = 0; j < count; j++)
        {
            var residual = projected[count - 1 - j];
            Value? size = j < count - 1 ? Graph.ShapeSlice(projected[count - 2 - j], 2, 4) : null;
            running = FusionLayer(Child($"fusion_stage.layers.{j}"), running, residual, size);
            fused.Add(running.Value);
        }

        if (probe is not null)
        {
            for (var i = 0; i < count; i++)
            {
                probe(reassembled[i], $"neck.reassemble_stage.{i}");
                probe(projected[i], $"neck.convs.{i}");
                probe(fused[i], $"neck.fusion_stage.{i}");
            }
        }

        return fused;
    }

    /// <summary>DepthAnythingReassembleLayer: drop CLS, tokens → (B, C, h, w), 1×1 projection, then resize by the factor.</summary>
    private Value Reassemble(Value tokens, PatchGrid grid, int index)
    {
        var layer = Child($"reassemble_stage.layers.{index}");
        var patches = Graph.Slice(tokens, 1, 1, long.MaxValue);
        var shape = Graph.Concat(0, Graph.Ints(0), grid.Height, grid.Width, Graph.Ints(-1));
        var image = Graph.Transpose(Graph.Op("Reshape", [patches, shape], []), 0, 3, 1, 2);
        var channels = config.NeckHiddenSizes[index];
        var projected = Conv.Pointwise(Graph, $"{layer}.projection", config.ReassembleHiddenSize, channels).Forward(image);
        var factor = config.ReassembleFactors[index];
        if (factor > 1)
        {
            // ConvTranspose2d(kernel = stride = factor): weight (in, out, k, k).
            var k = (long)factor;
            return Graph.Op("ConvTranspose", [projected, Graph.Weight($"{layer}.resize.weight", channels, channels, k, k), Graph.Weight($"{layer}.resize.bias", channels)],
                [Attr.Ints("strides", k, k), Attr.Ints("kernel_shape", k, k)], $"{layer}.resize");
        }

        return factor == 1 ? projected : new Conv(Graph, $"{layer}.resize", channels, channels, [3, 3], [1, 1, 1, 1], (long)Math.Round(1 / factor)).Forward(projected);
    }

    /// <summary>
    /// DepthAnythingFeatureFusionLayer: (running + RCU1(residual)) or just the residual, RCU2, bilinear resize
    /// (align_corners) to <paramref name="size"/> or ×2, 1×1 projection. RCU(x) = x + conv2(relu(conv1(relu(x)))).
    /// </summary>
    private Value FusionLayer(string layer, Value? running, Value residual, Value? size)
    {
        var x = running is { } previous ? Graph.Add(previous, ResidualUnit($"{layer}.residual_layer1", residual)) : residual;
        x = ResidualUnit($"{layer}.residual_layer2", x);
        var spatial = size ?? Graph.Op("Mul", [Graph.ShapeSlice(x, 2, 4), Graph.Constant([2L])], []);
        x = DepthResize.BilinearAlignCorners(Graph, x, spatial);
        return Conv.Pointwise(Graph, $"{layer}.projection", config.FusionHiddenSize, config.FusionHiddenSize).Forward(x);
    }

    private Value ResidualUnit(string unit, Value x)
    {
        var h = Conv.Same3x3(Graph, $"{unit}.convolution1", config.FusionHiddenSize, config.FusionHiddenSize).Forward(Graph.Op("Relu", [x], []));
        h = Conv.Same3x3(Graph, $"{unit}.convolution2", config.FusionHiddenSize, config.FusionHiddenSize).Forward(Graph.Op("Relu", [h], []));
        return Graph.Add(x, h);
    }
}

/// <summary>
/// DepthAnythingDepthEstimationHead (prefix <c>head</c>): conv1 (3×3, to half width), bilinear (align_corners) up to
/// the input's size (patch grid × patch_size), conv2 (3×3) + ReLU, conv3 (1×1) + ReLU (relative) or sigmoid (metric),
/// times max_depth, channel axis dropped: (B, H, W).
/// </summary>
public sealed class DepthAnythingHead(GraphBuilder g, string prefix, DepthAnythingConfig config) : Layer(g, prefix)
{
    public Value Forward(IReadOnlyList<Value> fused, PatchGrid grid, Action<Value, string>? probe = null)
    {
        var index = config.HeadInIndex < 0 ? fused.Count + config.HeadInIndex : config.HeadInIndex;
        var x = Conv.Same3x3(Graph, Child("conv1"), config.FusionHiddenSize, config.FusionHiddenSize / 2).Forward(fused[index]);
        probe?.Invoke(x, "head.conv1");
        var size = Graph.Op("Mul", [grid.HeightWidth, Graph.Constant([(long)config.PatchSize])], []);
        x = DepthResize.BilinearAlignCorners(Graph, x, size);
        x = Graph.Op("Relu", [Conv.Same3x3(Graph, Child("conv2"), config.FusionHiddenSize / 2, config.HeadHiddenSize).Forward(x)], []);
        x = Conv.Pointwise(Graph, Child("conv3"), config.HeadHiddenSize, 1).Forward(x);
        x = config.DepthEstimationType == DepthEstimationType.Metric ? Graph.Op("Sigmoid", [x], []) : Graph.Op("Relu", [x], []);
        if (config.MaxDepth != 1f)
        {
            x = Graph.Mul(x, Graph.Scalar(config.MaxDepth));
        }

        return Graph.Op("Squeeze", [x, Graph.Ints(1)], []);
    }
}

/// <summary>torch.nn.functional.interpolate(mode="bilinear", align_corners=True) to a (h, w) given as an int64 graph value.</summary>
internal static class DepthResize
{
    public static Value BilinearAlignCorners(GraphBuilder g, Value x, Value spatialSize)
    {
        var sizes = g.Concat(0, g.ShapeSlice(x, 0, 2), spatialSize);
        var resized = g.Op("Resize", [g.ToFloat32(x), new Value(string.Empty), new Value(string.Empty), sizes],
            [Attr.String("mode", "linear"), Attr.String("coordinate_transformation_mode", "align_corners")]);
        return g.ToCompute(resized);
    }
}
