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

    public sealed record Config(int InChannels, int OutChannels, int[] BlockOutChannels, int LayersPerBlock, int LatentChannels, int Groups, float ScalingFactor)
    {
        /// <summary>Image pixels per latent pixel along each axis.</summary>
        public int DownsamplingFactor => 1 << (BlockOutChannels.Length - 1);

        public static Config From(ModelConfig json) => new(
            json.Int("in_channels", 3),
            json.Int("out_channels", 3),
            json.Ints("block_out_channels", [128, 256, 512, 512]),
            json.Int("layers_per_block", 2),
            json.Int("latent_channels", 4),
            32,
            json.Float("scaling_factor", 0.18215f));
    }

    /// <summary>Encoder graph: <c>image</c> (B, 3, H, W) in [-1, 1] → <c>mean</c> (B, latent, H/f, W/f) and <c>moments</c>.</summary>
    public static OnnxModel BuildEncoder(Checkpoint weights, Config config, Precision precision = Precision.Float32, AttentionKernel attention = AttentionKernel.Fused)
    {
        var g = new GraphBuilder(weights, precision, attention);
        var image = g.Input("image", null, config.InChannels, null, null);

        var h = Conv.Same3x3(g, "encoder.conv_in").Forward(image);
        for (var i = 0; i < config.BlockOutChannels.Length; i++)
        {
            var isLast = i == config.BlockOutChannels.Length - 1;
            h = new DownEncoderBlock2D(g, $"encoder.down_blocks.{i}", config, addDownsample: !isLast).Forward(h);
        }

        h = new ResnetBlock2D(g, "encoder.mid_block.resnets.0", config.Groups, ResnetEps).Forward(h);
        h = new SpatialSelfAttention(g, "encoder.mid_block.attentions.0", config.Groups).Forward(h);
        h = new ResnetBlock2D(g, "encoder.mid_block.resnets.1", config.Groups, ResnetEps).Forward(h);
        h = g.Silu(new GroupNorm(g, "encoder.conv_norm_out", config.Groups, ResnetEps).Forward(h));
        h = Conv.Same3x3(g, "encoder.conv_out").Forward(h);
        var moments = Conv.Pointwise(g, "quant_conv").Forward(h);

        g.Output(g.Slice(moments, 1, 0, config.LatentChannels), "mean");
        g.Output(moments, "moments");
        return g.Build("vae_encoder");
    }

    /// <summary>
    /// Decoder graph for clips of <paramref name="frames"/> frames: <c>latents</c> (B·F, latent, h, w), already divided
    /// by the scaling factor → <c>sample</c> (B·F, 3, h·f, w·f), not clamped. Frames only mix within one call.
    /// </summary>
    public static OnnxModel BuildDecoder(Checkpoint weights, Config config, int frames, Precision precision = Precision.Float32, AttentionKernel attention = AttentionKernel.Fused)
    {
        var g = new GraphBuilder(weights, precision, attention);
        var latents = g.Input("latents", null, config.LatentChannels, null, null);
        var reversed = config.BlockOutChannels.Reverse().ToArray();

        var h = Conv.Same3x3(g, "decoder.conv_in").Forward(latents);
        h = new MidBlockTemporalDecoder(g, "decoder.mid_block", config, frames).Forward(h);
        for (var i = 0; i < reversed.Length; i++)
        {
            var isLast = i == reversed.Length - 1;
            h = new UpBlockTemporalDecoder(g, $"decoder.up_blocks.{i}", config, frames, addUpsample: !isLast).Forward(h);
        }

        h = g.Silu(new GroupNorm(g, "decoder.conv_norm_out", config.Groups, ResnetEps).Forward(h));
        h = Conv.Same3x3(g, "decoder.conv_out").Forward(h);
        var video = Conv.Temporal(g, "decoder.time_conv_out").Forward(g.FramesToVideo(h, frames));
        g.Output(g.VideoToFrames(video), "sample");
        return g.Build($"vae_decoder_{frames}");
    }



    private sealed class DownEncoderBlock2D(GraphBuilder g, string prefix, Config config, bool addDownsample) : Layer(g, prefix)
    {
        public Value Forward(Value x)
        {
            for (var j = 0; j < config.LayersPerBlock; j++)
            {
                x = new ResnetBlock2D(Graph, Child($"resnets.{j}"), config.Groups, ResnetEps).Forward(x);
            }

            if (!addDownsample)
            {
                return x;
            }

            // diffusers pads right and bottom only, then convolves with stride 2 and no padding.
            var padded = Graph.Op("Pad", [x, Graph.Ints(0, 0, 0, 0, 0, 0, 1, 1)], [Attr.String("mode", "constant")]);
            return new Conv(Graph, Child("downsamplers.0.conv"), [0, 0, 0, 0], stride: 2).Forward(padded);
        }
    }

    private sealed class MidBlockTemporalDecoder(GraphBuilder g, string prefix, Config config, int frames) : Layer(g, prefix)
    {
        // diffusers runs resnets[0], then (attention, resnet) pairs; the block has exactly one attention.
        public Value Forward(Value x)
        {
            x = new SpatioTemporalResBlock(Graph, Child("resnets.0"), config, frames).Forward(x);
            x = new SpatialSelfAttention(Graph, Child("attentions.0"), config.Groups).Forward(x);
            return new SpatioTemporalResBlock(Graph, Child("resnets.1"), config, frames).Forward(x);
        }
    }

    private sealed class UpBlockTemporalDecoder(GraphBuilder g, string prefix, Config config, int frames, bool addUpsample) : Layer(g, prefix)
    {
        public Value Forward(Value x)
        {
            for (var j = 0; j <= config.LayersPerBlock; j++)
            {
                x = new SpatioTemporalResBlock(Graph, Child($"resnets.{j}"), config, frames).Forward(x);
            }

            if (!addUpsample)
            {
                return x;
            }

            var upsampled = Graph.Op("Resize", [x, new Value(string.Empty), Graph.Float32Constant([1f, 1f, 2f, 2f], 4)],
                [Attr.String("mode", "nearest"), Attr.String("coordinate_transformation_mode", "asymmetric"), Attr.String("nearest_mode", "floor")]);
            return Conv.Same3x3(Graph, Child("upsamplers.0.conv")).Forward(upsampled);
        }
    }

    /// <summary>
    /// Spatial ResnetBlock2D per frame, a TemporalResnetBlock across frames, blended by a learned factor:
    /// out = (1 − σ(m))·spatial + σ(m)·temporal (the VAE blends the opposite way round from the UNet).
    /// </summary>
    private sealed class SpatioTemporalResBlock(GraphBuilder g, string prefix, Config config, int frames) : Layer(g, prefix)
    {
        public Value Forward(Value x)
        {
            var spatial = new ResnetBlock2D(Graph, Child("spatial_res_block"), config.Groups, ResnetEps).Forward(x);
            var spatialVideo = Graph.FramesToVideo(spatial, frames);
            var temporalVideo = new TemporalResnetBlock(Graph, Child("temporal_res_block"), config.Groups, TemporalEps).Forward(spatialVideo, frames);
            return Graph.VideoToFrames(Graph.Blend(Weight("time_mixer.mix_factor"), temporalVideo, spatialVideo));
        }
    }



    /// <summary>Single-head self-attention over the H·W positions, with a GroupNorm in front and the input added back.</summary>
    private sealed class SpatialSelfAttention(GraphBuilder g, string prefix, int groups) : Layer(g, prefix)
    {
        public Value Forward(Value x)
        {
            var channels = Graph.Checkpoint[Child("to_q.weight")].Shape[0];
            var normed = new GroupNorm(Graph, Child("group_norm"), groups, ResnetEps).Forward(x);
            var tokens = Graph.Transpose(Graph.Reshape(normed, 0, channels, -1), 0, 2, 1);
            var q = new Linear(Graph, Child("to_q")).Forward(tokens);
            var k = new Linear(Graph, Child("to_k")).Forward(tokens);
            var v = new Linear(Graph, Child("to_v")).Forward(tokens);
            var attended = Graph.MultiHeadAttention(q, k, v, heads: 1, 1f / MathF.Sqrt(channels));
            var projected = new Linear(Graph, Child("to_out.0")).Forward(attended);
            var image = Graph.Op("Reshape", [Graph.Transpose(projected, 0, 2, 1), Graph.Op("Shape", [x], [])], []);
            return Graph.Add(image, x);
        }
    }
}
