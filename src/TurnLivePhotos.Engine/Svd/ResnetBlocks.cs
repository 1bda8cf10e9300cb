using TurnLivePhotos.Engine.Onnx;

namespace TurnLivePhotos.Engine.Svd;

/// <summary>
/// diffusers' ResnetBlock2D: h = conv1(silu(norm1 x)) [+ time_emb_proj(silu(temb)) per channel];
/// h = conv2(silu(norm2 h)); out = shortcut(x) + h, the shortcut a 1×1 conv when the channel count changes.
/// </summary>
/// <param name="embeddingChannels">temb_channels: the width of the time embedding, or null for blocks without one (the VAE's).</param>
public sealed class ResnetBlock2D(GraphBuilder g, string prefix, int inChannels, int outChannels, int? embeddingChannels, int groups, float eps) : Layer(g, prefix)
{
    /// <param name="x">(N, C, H, W).</param>
    /// <param name="activatedEmbedding">silu(temb), (N, E), or null for the VAE's blocks without time embedding.</param>
    public Value Forward(Value x, Value? activatedEmbedding = null)
    {
        var h = Graph.Silu(new GroupNorm(Graph, Child("norm1"), inChannels, groups, eps).Forward(x));
        h = Conv.Same3x3(Graph, Child("conv1"), inChannels, outChannels).Forward(h);
        if (embeddingChannels is { } width)
        {
            var emb = activatedEmbedding ?? throw new ArgumentNullException(nameof(activatedEmbedding), $"{Prefix} takes a time embedding");
            var perChannel = new Linear(Graph, Child("time_emb_proj"), width, outChannels).Forward(emb);
            h = Graph.Add(h, Graph.Reshape(perChannel, 0, -1, 1, 1));
        }

        h = Graph.Silu(new GroupNorm(Graph, Child("norm2"), outChannels, groups, eps).Forward(h));
        h = Conv.Same3x3(Graph, Child("conv2"), outChannels, outChannels).Forward(h);
        var shortcut = inChannels != outChannels ? Conv.Pointwise(Graph, Child("conv_shortcut"), inChannels, outChannels).Forward(x) : x;
        return Graph.Add(shortcut, h);
    }
}

/// <summary>
/// diffusers' TemporalResnetBlock over (B, C, F, H, W): Conv3d kernels (3, 1, 1) mix neighbouring frames only;
/// the GroupNorms pool statistics over all frames of a clip.
/// </summary>
public sealed class TemporalResnetBlock(GraphBuilder g, string prefix, int channels, int? embeddingChannels, int groups, float eps) : Layer(g, prefix)
{
    /// <param name="video">(B, C, F, H, W).</param>
    /// <param name="activatedEmbedding">silu(temb) per frame, (B·F, E), or null.</param>
    public Value Forward(Value video, int frames, Value? activatedEmbedding = null)
    {
        var h = Graph.Silu(new GroupNorm(Graph, Child("norm1"), channels, groups, eps, rank: 5).Forward(video));
        h = Conv.Temporal(Graph, Child("conv1"), channels, channels).Forward(h);
        if (embeddingChannels is { } width)
        {
            var emb = activatedEmbedding ?? throw new ArgumentNullException(nameof(activatedEmbedding), $"{Prefix} takes a time embedding");
            var perFrame = new Linear(Graph, Child("time_emb_proj"), width, channels).Forward(emb);       // (B·F, C)
            var perChannel = Graph.Transpose(Graph.Reshape(perFrame, -1, frames, channels), 0, 2, 1);   // (B, C, F)
            h = Graph.Add(h, Graph.Reshape(perChannel, 0, 0, frames, 1, 1));
        }

        h = Graph.Silu(new GroupNorm(Graph, Child("norm2"), channels, groups, eps, rank: 5).Forward(h));
        h = Conv.Temporal(Graph, Child("conv2"), channels, channels).Forward(h);
        return Graph.Add(video, h);
    }
}

/// <summary>Moves between the per-frame layout the spatial layers use and the clip layout of the temporal ones.</summary>
public static class VideoLayout
{
    /// <summary>(B·F, C, H, W) → (B, C, F, H, W).</summary>
    public static Value FramesToVideo(this GraphBuilder g, Value x, int frames)
    {
        return g.Transpose(g.ReshapeTo(x, g.Ints(-1, frames), g.ShapeSlice(x, 1, 4)), 0, 2, 1, 3, 4);
    }

    /// <summary>(B, C, F, H, W) → (B·F, C, H, W).</summary>
    public static Value VideoToFrames(this GraphBuilder g, Value x)
    {
        return g.ReshapeTo(g.Transpose(x, 0, 2, 1, 3, 4), g.Ints(-1), g.ShapeSlice(x, 1, 2), g.ShapeSlice(x, 3, 5));
    }

    /// <summary>α·a + (1 − α)·b with α = sigmoid(mix_factor): diffusers' AlphaBlender with a learned factor.</summary>
    public static Value Blend(this GraphBuilder g, Value mixFactor, Value a, Value b)
    {
        var alpha = g.Op("Sigmoid", [mixFactor], []);
        var rest = g.Op("Sub", [g.Scalar(1f), alpha], []);
        return g.Add(g.Mul(a, alpha), g.Mul(b, rest));
    }
}
