using TurnLivePhotos.Engine.Onnx;
using TurnLivePhotos.Engine.Weights;

namespace TurnLivePhotos.Engine.Svd;

/// <summary>
/// diffusers' AutoencoderKLTemporalDecoder (SVD's VAE): the standard SD encoder, whose posterior mean is what the
/// pipeline uses, and the temporal decoder whose res blocks and final Conv3d mix information across frames.
/// </summary>
public static class AutoencoderKLTemporalDecoder
{
    private const float ResnetEps = 1e-6f;
    private const float TemporalEps = 1e-5f;

    /// <summary>The constructor arguments of diffusers' AutoencoderKLTemporalDecoder (its layers_per_block is one int for every block).</summary>
    public sealed record Config(int InChannels, int OutChannels, int[] BlockOutChannels, int LayersPerBlock, int LatentChannels, int Groups, float ScalingFactor)
    {
        /// <summary>Image pixels per latent pixel along each axis.</summary>
        public int DownsamplingFactor => 1 << (BlockOutChannels.Length - 1);

        public static Config From(ModelConfig json)
        {
            ArgumentNullException.ThrowIfNull(json);
            var channels = json.Ints("block_out_channels", [64]);
            var downTypes = json.Texts("down_block_types", ["DownEncoderBlock2D"]);
            if (downTypes.Length != channels.Length)
            {
                throw json.Error("down_block_types", $"must provide the same number of `down_block_types` as `block_out_channels` ({channels.Length})");
            }

            if (downTypes.FirstOrDefault(type => type != "DownEncoderBlock2D") is { } other)
            {
                throw json.Error("down_block_types", $"'{other}' is not a block of AutoencoderKLTemporalDecoder's encoder (DownEncoderBlock2D)");
            }

            var config = new Config(
                json.Int("in_channels", 3),
                json.Int("out_channels", 3),
                channels,
                json.Int("layers_per_block", 1),
                json.Int("latent_channels", 4),
                32,
                json.Float("scaling_factor", 0.18215f));
            if (channels.Length == 0 || channels.Any(c => c <= 0 || c % config.Groups != 0))
            {
                throw json.Error("block_out_channels", $"every block needs a channel count that forms {config.Groups} groups");
            }

            return config.LayersPerBlock >= 1 ? config : throw json.Error("layers_per_block", "the blocks need at least one layer");
        }
    }

    /// <summary>Encoder graph: <c>image</c> (B, 3, H, W) in [-1, 1] → <c>mean</c> (B, latent, H/f, W/f) and <c>moments</c>.</summary>
    public static OnnxModel BuildEncoder(IWeightSource weights, Config config, Precision precision = Precision.Float32, AttentionKernel attention = AttentionKernel.Fused)
    {
        var g = new GraphBuilder(weights, precision, attention);
        DefineEncoder(g, config);
        return g.Build("vae_encoder");
    }

    /// <summary>
    /// Decoder graph for clips of <paramref name="frames"/> frames: <c>latents</c> (B·F, latent, h, w), already divided
    /// by the scaling factor → <c>sample</c> (B·F, 3, h·f, w·f), not clamped. Frames only mix within one call.
    /// </summary>
    public static OnnxModel BuildDecoder(IWeightSource weights, Config config, int frames, Precision precision = Precision.Float32, AttentionKernel attention = AttentionKernel.Fused)
    {
        var g = new GraphBuilder(weights, precision, attention);
        DefineDecoder(g, config, frames);
        return g.Build($"vae_decoder_{frames}");
    }

    /// <summary>The state dict diffusers builds for this config (encoder, quant_conv, decoder), in declaration order.</summary>
    public static IReadOnlyList<WeightShape> StateDict(Config config)
    {
        var inventory = new WeightInventory();
        DefineEncoder(new GraphBuilder(inventory), config);
        DefineDecoder(new GraphBuilder(inventory), config, frames: 1);
        return inventory.Entries;
    }

    private static void DefineEncoder(GraphBuilder g, Config config)
    {
        var channels = config.BlockOutChannels;
        var image = g.Input("image", null, config.InChannels, null, null);

        var h = Conv.Same3x3(g, "encoder.conv_in", config.InChannels, channels[0]).Forward(image);
        for (var i = 0; i < channels.Length; i++)
        {
            var isLast = i == channels.Length - 1;
            h = new DownEncoderBlock2D(g, $"encoder.down_blocks.{i}", config, i == 0 ? channels[0] : channels[i - 1], channels[i], addDownsample: !isLast).Forward(h);
        }

        var deepest = channels[^1];
        h = new ResnetBlock2D(g, "encoder.mid_block.resnets.0", deepest, deepest, null, config.Groups, ResnetEps).Forward(h);
        h = new SpatialSelfAttention(g, "encoder.mid_block.attentions.0", deepest, config.Groups).Forward(h);
        h = new ResnetBlock2D(g, "encoder.mid_block.resnets.1", deepest, deepest, null, config.Groups, ResnetEps).Forward(h);
        h = g.Silu(new GroupNorm(g, "encoder.conv_norm_out", deepest, config.Groups, ResnetEps).Forward(h));
        h = Conv.Same3x3(g, "encoder.conv_out", deepest, 2 * config.LatentChannels).Forward(h);
        var moments = Conv.Pointwise(g, "quant_conv", 2 * config.LatentChannels, 2 * config.LatentChannels).Forward(h);

        g.Output(g.Slice(moments, 1, 0, config.LatentChannels), "mean");
        g.Output(moments, "moments");
    }

    private static void DefineDecoder(GraphBuilder g, Config config, int frames)
    {
        var latents = g.Input("latents", null, config.LatentChannels, null, null);
        var reversed = config.BlockOutChannels.Reverse().ToArray();

        var h = Conv.Same3x3(g, "decoder.conv_in", config.LatentChannels, reversed[0]).Forward(latents);
        h = new MidBlockTemporalDecoder(g, "decoder.mid_block", config, reversed[0], frames).Forward(h);
        var previous = reversed[0];
        for (var i = 0; i < reversed.Length; i++)
        {
            var isLast = i == reversed.Length - 1;
            h = new UpBlockTemporalDecoder(g, $"decoder.up_blocks.{i}", config, previous, reversed[i], frames, addUpsample: !isLast).Forward(h);
            previous = reversed[i];
        }

        h = g.Silu(new GroupNorm(g, "decoder.conv_norm_out", previous, config.Groups, ResnetEps).Forward(h));
        h = Conv.Same3x3(g, "decoder.conv_out", previous, config.OutChannels).Forward(h);
        var video = Conv.Temporal(g, "decoder.time_conv_out", config.OutChannels, config.OutChannels).Forward(g.FramesToVideo(h, frames));
        g.Output(g.VideoToFrames(video), "sample");
    }

    private sealed class DownEncoderBlock2D(GraphBuilder g, string prefix, Config config, int inChannels, int outChannels, bool addDownsample) : Layer(g, prefix)
    {
        public Value Forward(Value x)
        {
            for (var j = 0; j < config.LayersPerBlock; j++)
            {
                x = new ResnetBlock2D(Graph, Child($"resnets.{j}"), j == 0 ? inChannels : outChannels, outChannels, null, config.Groups, ResnetEps).Forward(x);
            }

            if (!addDownsample)
            {
                return x;
            }

            // diffusers pads right and bottom only, then convolves with stride 2 and no padding.
            var padded = Graph.Op("Pad", [x, Graph.Ints(0, 0, 0, 0, 0, 0, 1, 1)], [Attr.String("mode", "constant")]);
            return new Conv(Graph, Child("downsamplers.0.conv"), outChannels, outChannels, [3, 3], [0, 0, 0, 0], stride: 2).Forward(padded);
        }
    }

    /// <summary>
    /// diffusers builds layers_per_block res blocks and one attention here but runs resnets[0], then (attention,
    /// resnet) pairs zipped with resnets[1:] — so the attention and resnets[1] only when resnets[1] exists, and
    /// resnets[2:] never. The unused modules are in the state dict all the same: they are built on a detached graph
    /// (same weight source, graph thrown away), so their weights are declared without entering this graph.
    /// </summary>
    private sealed class MidBlockTemporalDecoder(GraphBuilder g, string prefix, Config config, int channels, int frames) : Layer(g, prefix)
    {
        public Value Forward(Value x)
        {
            var unused = Graph.Detached();
            var spare = unused.Input("unused", null, channels, null, null);
            x = Block(Graph, 0).Forward(x);
            if (config.LayersPerBlock < 2)
            {
                Attention(unused).Forward(spare);
                return x;
            }

            x = Block(Graph, 1).Forward(Attention(Graph).Forward(x));
            for (var j = 2; j < config.LayersPerBlock; j++)
            {
                Block(unused, j).Forward(spare);
            }

            return x;
        }

        private SpatioTemporalResBlock Block(GraphBuilder graph, int index) => new(graph, Child($"resnets.{index}"), config, channels, channels, frames);

        private SpatialSelfAttention Attention(GraphBuilder graph) => new(graph, Child("attentions.0"), channels, config.Groups);
    }

    private sealed class UpBlockTemporalDecoder(GraphBuilder g, string prefix, Config config, int inChannels, int outChannels, int frames, bool addUpsample) : Layer(g, prefix)
    {
        public Value Forward(Value x)
        {
            for (var j = 0; j <= config.LayersPerBlock; j++)
            {
                x = new SpatioTemporalResBlock(Graph, Child($"resnets.{j}"), config, j == 0 ? inChannels : outChannels, outChannels, frames).Forward(x);
            }

            return addUpsample ? Conv.Same3x3(Graph, Child("upsamplers.0.conv"), outChannels, outChannels).Forward(Graph.UpsampleNearest2x(x)) : x;
        }
    }

    /// <summary>
    /// Spatial ResnetBlock2D per frame, a TemporalResnetBlock across frames, blended by a learned factor:
    /// out = (1 − σ(m))·spatial + σ(m)·temporal (the VAE blends the opposite way round from the UNet).
    /// </summary>
    private sealed class SpatioTemporalResBlock(GraphBuilder g, string prefix, Config config, int inChannels, int outChannels, int frames) : Layer(g, prefix)
    {
        public Value Forward(Value x)
        {
            var spatial = new ResnetBlock2D(Graph, Child("spatial_res_block"), inChannels, outChannels, null, config.Groups, ResnetEps).Forward(x);
            var spatialVideo = Graph.FramesToVideo(spatial, frames);
            var temporalVideo = new TemporalResnetBlock(Graph, Child("temporal_res_block"), outChannels, null, config.Groups, TemporalEps).Forward(spatialVideo, frames);
            return Graph.VideoToFrames(Graph.Blend(Weight("time_mixer.mix_factor", 1), temporalVideo, spatialVideo));
        }
    }

    /// <summary>Single-head self-attention over the H·W positions, with a GroupNorm in front and the input added back.</summary>
    private sealed class SpatialSelfAttention(GraphBuilder g, string prefix, int channels, int groups) : Layer(g, prefix)
    {
        public Value Forward(Value x)
        {
            var normed = new GroupNorm(Graph, Child("group_norm"), channels, groups, ResnetEps).Forward(x);
            var tokens = Graph.Transpose(Graph.Reshape(normed, 0, channels, -1), 0, 2, 1);
            var q = new Linear(Graph, Child("to_q"), channels, channels).Forward(tokens);
            var k = new Linear(Graph, Child("to_k"), channels, channels).Forward(tokens);
            var v = new Linear(Graph, Child("to_v"), channels, channels).Forward(tokens);
            var attended = Graph.MultiHeadAttention(q, k, v, heads: 1, 1f / MathF.Sqrt(channels));
            var projected = new Linear(Graph, Child("to_out.0"), channels, channels).Forward(attended);
            var image = Graph.ReshapeTo(Graph.Transpose(projected, 0, 2, 1), Graph.ShapeOf(x));
            return Graph.Add(image, x);
        }
    }
}
