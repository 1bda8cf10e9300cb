namespace TurnLivePhotos.Engine.Onnx;

/// <summary>
/// The layers the networks are made of, as graph ops. Each knows its weight prefix, so weights bind by the same
/// dotted path as the PyTorch module tree (<c>encoder.down_blocks.0.resnets.1.conv1.weight</c>).
/// </summary>
public abstract class Layer(GraphBuilder graph, string prefix)
{
    protected GraphBuilder Graph { get; } = graph;

    public string Prefix { get; } = prefix;

    /// <summary>This layer's weight <paramref name="leaf"/>, of the shape the module's constructor gives it.</summary>
    protected Value Weight(string leaf, params long[] shape) => Graph.Weight(Child(leaf), shape);

    protected Value Weight32(string leaf, params long[] shape) => Graph.Weight32(Child(leaf), shape);

    protected string Child(string name) => Prefix.Length == 0 ? name : $"{Prefix}.{name}";
}

/// <summary>torch.nn.Linear(in, out, bias): y = x Wᵀ (+ b), over the last axis of any rank; W is (out, in).</summary>
public sealed class Linear(GraphBuilder graph, string prefix, long inFeatures, long outFeatures, bool bias = true) : Layer(graph, prefix)
{
    public Value Forward(Value x)
    {
        var transposed = Graph.Op("Transpose", [Weight("weight", outFeatures, inFeatures)], [Attr.Ints("perm", 1, 0)], Prefix + ".weight_t");
        var y = Graph.Op("MatMul", [x, transposed], []);
        return bias ? Graph.Op("Add", [y, Weight("bias", outFeatures)], [], Prefix) : y;
    }
}

/// <summary>torch.nn.Conv2d / Conv3d(in, out, kernel, stride, padding, bias); W is (out, in, *kernel).</summary>
public sealed class Conv(GraphBuilder graph, string prefix, long inChannels, long outChannels, long[] kernel, long[] padding, long stride = 1, bool bias = true)
    : Layer(graph, prefix)
{
    public static Conv Same3x3(GraphBuilder graph, string prefix, long inChannels, long outChannels) =>
        new(graph, prefix, inChannels, outChannels, [3, 3], [1, 1, 1, 1]);

    public static Conv Pointwise(GraphBuilder graph, string prefix, long inChannels, long outChannels) =>
        new(graph, prefix, inChannels, outChannels, [1, 1], [0, 0, 0, 0]);

    /// <summary>Conv3d with kernel (3, 1, 1) and padding (1, 0, 0): mixes along the frame axis only.</summary>
    public static Conv Temporal(GraphBuilder graph, string prefix, long inChannels, long outChannels) =>
        new(graph, prefix, inChannels, outChannels, [3, 1, 1], [1, 0, 0, 1, 0, 0]);

    public Value Forward(Value x)
    {
        var weight = Weight("weight", [outChannels, inChannels, .. kernel]);
        Value[] inputs = bias ? [x, weight, Weight("bias", outChannels)] : [x, weight];
        return Graph.Op("Conv", inputs, [Attr.Ints("pads", padding), Attr.Ints("strides", Enumerable.Repeat(stride, kernel.Length).ToArray())], Prefix);
    }
}

/// <summary>
/// torch.nn.GroupNorm(groups, channels) on (N, C, ...): statistics per group over all remaining axes (always in
/// fp32), then a per-channel affine.
/// </summary>
public sealed class GroupNorm(GraphBuilder graph, string prefix, long channels, int groups, float epsilon, int rank = 4) : Layer(graph, prefix)
{
    public Value Forward(Value x)
    {
        var grouped = Graph.Op("Reshape", [Graph.ToFloat32(x), Graph.Ints(0, groups, -1)], []);
        var normalised = Graph.Op("InstanceNormalization",
            [grouped, Graph.Float32Constant(Enumerable.Repeat(1f, groups).ToArray(), groups), Graph.Float32Constant(new float[groups], groups)],
            [Attr.Float("epsilon", epsilon)]);
        var restored = Graph.ToCompute(Graph.Op("Reshape", [normalised, Graph.ShapeOf(x)], []));
        var perChannel = Enumerable.Repeat(1L, rank - 1).ToArray();
        perChannel[0] = -1;
        var scale = Graph.Reshape(Weight("weight", channels), perChannel);
        var shift = Graph.Reshape(Weight("bias", channels), perChannel);
        return Graph.Op("Add", [Graph.Op("Mul", [restored, scale], []), shift], [], Prefix);
    }
}

/// <summary>torch.nn.LayerNorm(channels) over the last axis, computed in fp32.</summary>
public sealed class LayerNorm(GraphBuilder graph, string prefix, long channels, float epsilon) : Layer(graph, prefix)
{
    public Value Forward(Value x) => Graph.ToCompute(
        Graph.Op("LayerNormalization", [Graph.ToFloat32(x), Weight32("weight", channels), Weight32("bias", channels)], [Attr.Int("axis", -1), Attr.Float("epsilon", epsilon)], Prefix));
}

/// <summary>Activations and tensor plumbing shared by the networks.</summary>
public static class Ops
{
    public static Value Silu(this GraphBuilder g, Value x) => g.Op("Mul", [x, g.Op("Sigmoid", [x], [])], []);

    /// <summary>Exact (erf) GELU, as PyTorch's default and CLIP ViT-H use.</summary>
    public static Value Gelu(this GraphBuilder g, Value x)
    {
        var erf = g.Op("Erf", [g.Op("Div", [x, g.Scalar(MathF.Sqrt(2f))], [])], []);
        return g.Op("Mul", [g.Op("Mul", [x, g.Scalar(0.5f)], []), g.Op("Add", [erf, g.Scalar(1f)], [])], []);
    }

    /// <summary>CLIP's quick_gelu: x · sigmoid(1.702 x).</summary>
    public static Value QuickGelu(this GraphBuilder g, Value x) =>
        g.Op("Mul", [x, g.Op("Sigmoid", [g.Op("Mul", [x, g.Scalar(1.702f)], [])], [])], []);

    public static Value Add(this GraphBuilder g, Value a, Value b) => g.Op("Add", [a, b], []);

    public static Value Mul(this GraphBuilder g, Value a, Value b) => g.Op("Mul", [a, b], []);

    public static Value Reshape(this GraphBuilder g, Value x, params long[] shape) => g.Op("Reshape", [x, g.Ints(shape)], []);

    /// <summary>Reshape to a shape put together from fixed sizes (<c>g.Ints(-1, frames)</c>) and slices of other shapes (<see cref="ShapeSlice"/>).</summary>
    public static Value ReshapeTo(this GraphBuilder g, Value x, params Value[] shapeParts) =>
        g.Op("Reshape", [x, shapeParts.Length == 1 ? shapeParts[0] : g.Concat(0, shapeParts)], []);

    public static Value ShapeOf(this GraphBuilder g, Value x) => g.Op("Shape", [x], []);

    /// <summary>2× nearest-neighbour upsampling of (N, C, H, W), as F.interpolate(scale_factor=2.0, mode="nearest").</summary>
    public static Value UpsampleNearest2x(this GraphBuilder g, Value x) =>
        g.Op("Resize", [x, new Value(string.Empty), g.Float32Constant([1f, 1f, 2f, 2f], 4)],
            [Attr.String("mode", "nearest"), Attr.String("coordinate_transformation_mode", "asymmetric"), Attr.String("nearest_mode", "floor")]);

    public static Value Transpose(this GraphBuilder g, Value x, params long[] perm) => g.Op("Transpose", [x], [Attr.Ints("perm", perm)]);

    public static Value Concat(this GraphBuilder g, long axis, params Value[] values) => g.Op("Concat", values, [Attr.Int("axis", axis)]);

    /// <summary>x[..., start:end] along one axis.</summary>
    public static Value Slice(this GraphBuilder g, Value x, long axis, long start, long end) =>
        g.Op("Slice", [x, g.Ints(start), g.Ints(end), g.Ints(axis)], []);

    /// <summary>Shape(x)[start:end] as an int64 vector, for reshapes that keep some dynamic axes.</summary>
    public static Value ShapeSlice(this GraphBuilder g, Value x, long start, long end) =>
        g.Slice(g.ShapeOf(x), 0, start, end);

    /// <summary>
    /// Multi-head attention softmax(q kᵀ · scale) v on (batch, tokens, heads·head_dim) tensors, keys and values with
    /// their own token count; returns (batch, query tokens, heads·head_dim). Never materializes the full score matrix
    /// (see <see cref="AttentionKernel"/>).
    /// </summary>
    public static Value MultiHeadAttention(this GraphBuilder g, Value q, Value k, Value v, int heads, float scale) =>
        g.Attention == AttentionKernel.Fused
            ? g.ContribOp("MultiHeadAttention", [q, k, v], [Attr.Int("num_heads", heads), Attr.Float("scale", scale)])
            : g.MergeHeads(g.ChunkedAttention(g.SplitHeads(q, heads), g.SplitHeads(k, heads), g.SplitHeads(v, heads), scale));

    /// <summary>(B, T, H·D) → (B, H, T, D).</summary>
    public static Value SplitHeads(this GraphBuilder g, Value x, int heads) =>
        g.Transpose(g.Reshape(x, 0, 0, heads, -1), 0, 2, 1, 3);

    /// <summary>(B, H, T, D) → (B, T, H·D).</summary>
    public static Value MergeHeads(this GraphBuilder g, Value x) =>
        g.Reshape(g.Transpose(x, 0, 2, 1, 3), 0, 0, -1);
}
