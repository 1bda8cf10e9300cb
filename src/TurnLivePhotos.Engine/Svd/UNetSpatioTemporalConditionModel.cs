using TurnLivePhotos.Engine.Onnx;
using TurnLivePhotos.Engine.Weights;

namespace TurnLivePhotos.Engine.Svd;

/// <summary>
/// diffusers' UNetSpatioTemporalConditionModel, the denoiser of SVD. Graph for clips of a fixed frame count:
/// inputs <c>sample</c> (B, F, in, h, w), <c>timestep</c> (1), <c>encoder_hidden_states</c> (B, S, D) and
/// <c>added_time_ids</c> (B, 3) = [fps − 1, motion bucket, noise aug]; output <c>out_sample</c> (B, F, out, h, w).
/// </summary>
public static class UNetSpatioTemporalConditionModel
{
    private const int Groups = 32;
    private const float CrossAttnBlockEps = 1e-6f;
    private const float PlainBlockEps = 1e-5f;
    private const float TransformerNormEps = 1e-6f;
    private const float LayerNormEps = 1e-5f;

    public sealed record Config(
        int InChannels,
        int OutChannels,
        string[] DownBlockTypes,
        string[] UpBlockTypes,
        int[] BlockOutChannels,
        int AdditionTimeEmbedDim,
        int LayersPerBlock,
        int[] NumAttentionHeads,
        int TransformerLayersPerBlock)
    {
        public int DownsamplingFactor => 1 << (BlockOutChannels.Length - 1);

        public static Config From(ModelConfig json)
        {
            var channels = json.Ints("block_out_channels", [320, 640, 1280, 1280]);
            var heads = json.Ints("num_attention_heads", []);
            return new Config(
                json.Int("in_channels", 8),
                json.Int("out_channels", 4),
                json.Texts("down_block_types", ["CrossAttnDownBlockSpatioTemporal", "CrossAttnDownBlockSpatioTemporal", "CrossAttnDownBlockSpatioTemporal", "DownBlockSpatioTemporal"]),
                json.Texts("up_block_types", ["UpBlockSpatioTemporal", "CrossAttnUpBlockSpatioTemporal", "CrossAttnUpBlockSpatioTemporal", "CrossAttnUpBlockSpatioTemporal"]),
                channels,
                json.Int("addition_time_embed_dim", 256),
                json.Int("layers_per_block", 2),
                heads.Length > 0 ? heads : Enumerable.Repeat(json.Int("num_attention_heads", 5), channels.Length).ToArray(),
                json.Int("transformer_layers_per_block", 1));
        }
    }

    /// <param name="exposeIntermediates">Also output what each main module produced, named like diffusers' modules (for checking against the reference).</param>
    public static OnnxModel Build(Checkpoint weights, Config config, int frames, Precision precision = Precision.Float32, bool exposeIntermediates = false, AttentionKernel attention = AttentionKernel.Fused)
    {
        var g = new GraphBuilder(weights, precision, attention);
        Value Probe(Value value, string name)
        {
            if (exposeIntermediates)
            {
                g.Output(value, name);
            }

            return value;
        }

        var sample = g.Input("sample", null, frames, config.InChannels, null, null);
        var timestep = g.InputFloat32("timestep", 1);
        var context = g.Input("encoder_hidden_states", null, null, null);
        var addedTimeIds = g.InputFloat32("added_time_ids", null, 3);

        // 1–2. Time embedding plus the embedding of the added time ids, one per clip.
        var timeFeatures = Sinusoid(g, g.Reshape(timestep, 1, 1), g.Checkpoint["time_embedding.linear_1.weight"].Shape[1]);
        var clipTimeFeatures = Probe(g.Op("Expand", [timeFeatures, g.Concat(0, g.ShapeSlice(addedTimeIds, 0, 1), g.Ints(1))], []), "time_proj");
        var emb = Probe(new TimestepEmbedding(g, "time_embedding").Forward(clipTimeFeatures), "time_embedding");
        var idFeatures = Probe(Sinusoid(g, g.Reshape(addedTimeIds, -1, 1), config.AdditionTimeEmbedDim), "add_time_proj");
        var addEmb = Probe(new TimestepEmbedding(g, "add_embedding").Forward(g.Reshape(idFeatures, -1, 3 * config.AdditionTimeEmbedDim)), "add_embedding");
        emb = g.Add(emb, addEmb);

        // 3. Everything per frame: (B, F, …) → (B·F, …), embeddings repeated for each frame of their clip.
        var frameEmb = RepeatPerFrame(g, emb, frames);
        var frameContext = RepeatPerFrame(g, context, frames);
        var activatedEmb = g.Silu(frameEmb);
        var h = g.Op("Reshape", [sample, g.Concat(0, g.Ints(-1), g.ShapeSlice(sample, 2, 5))], []);

        // 4. conv_in, down blocks (keeping skips), mid block, up blocks (consuming skips last-in-first-out), out.
        var block = new BlockContext(g, config, frames, activatedEmb, frameContext);
        h = Probe(Conv.Same3x3(g, "conv_in").Forward(h), "conv_in");
        var skips = new Stack<Value>([h]);
        for (var i = 0; i < config.DownBlockTypes.Length; i++)
        {
            var hasAttention = config.DownBlockTypes[i].StartsWith("CrossAttn", StringComparison.Ordinal);
            var eps = hasAttention ? CrossAttnBlockEps : PlainBlockEps;
            for (var j = 0; j < config.LayersPerBlock; j++)
            {
                h = block.ResBlock($"down_blocks.{i}.resnets.{j}", h, eps);
                if (hasAttention)
                {
                    h = block.Transformer($"down_blocks.{i}.attentions.{j}", h, config.NumAttentionHeads[i]);
                }

                skips.Push(h);
            }

            if (i < config.DownBlockTypes.Length - 1)
            {
                h = new Conv(g, $"down_blocks.{i}.downsamplers.0.conv", [1, 1, 1, 1], stride: 2).Forward(h);
                skips.Push(h);
            }

            Probe(h, $"down_blocks.{i}");
        }

        h = block.ResBlock("mid_block.resnets.0", h, PlainBlockEps);
        h = block.Transformer("mid_block.attentions.0", h, config.NumAttentionHeads[^1]);
        h = Probe(block.ResBlock("mid_block.resnets.1", h, PlainBlockEps), "mid_block");

        var upHeads = config.NumAttentionHeads.Reverse().ToArray();
        for (var i = 0; i < config.UpBlockTypes.Length; i++)
        {
            var hasAttention = config.UpBlockTypes[i].StartsWith("CrossAttn", StringComparison.Ordinal);
            for (var j = 0; j <= config.LayersPerBlock; j++)
            {
                h = g.Concat(1, h, skips.Pop());
                h = block.ResBlock($"up_blocks.{i}.resnets.{j}", h, CrossAttnBlockEps);
                if (hasAttention)
                {
                    h = block.Transformer($"up_blocks.{i}.attentions.{j}", h, upHeads[i]);
                }
            }

            if (i < config.UpBlockTypes.Length - 1)
            {
                var upsampled = g.Op("Resize", [h, new Value(string.Empty), g.Float32Constant([1f, 1f, 2f, 2f], 4)],
                    [Attr.String("mode", "nearest"), Attr.String("coordinate_transformation_mode", "asymmetric"), Attr.String("nearest_mode", "floor")]);
                h = Conv.Same3x3(g, $"up_blocks.{i}.upsamplers.0.conv").Forward(upsampled);
            }

            Probe(h, $"up_blocks.{i}");
        }

        h = g.Silu(Probe(new GroupNorm(g, "conv_norm_out", Groups, PlainBlockEps).Forward(h), "conv_norm_out"));
        h = Probe(Conv.Same3x3(g, "conv_out").Forward(h), "conv_out");
        g.Output(g.Op("Reshape", [h, g.Concat(0, g.Ints(-1, frames), g.ShapeSlice(h, 1, 4))], []), "out_sample");
        return g.Build($"unet_{frames}");
    }

    /// <summary>diffusers' Timesteps(D, flip_sin_to_cos=True, shift=0): [cos(t·f), sin(t·f)], f_k = exp(−ln(10⁴)·k / (D/2)), in fp32.</summary>
    private static Value Sinusoid(GraphBuilder g, Value positions, long dimension)
    {
        var half = (int)(dimension / 2);
        var exponent = (float)-Math.Log(10000);
        var frequencies = Enumerable.Range(0, half).Select(k => MathF.Exp(exponent * k / half)).ToArray();
        var angles = g.Op("Mul", [g.ToFloat32(positions), g.Float32Constant(frequencies, 1, half)], []);
        return g.ToCompute(g.Concat(1, g.Op("Cos", [angles], []), g.Op("Sin", [angles], [])));
    }

    /// <summary>(B, …) → (B·F, …), each clip's row repeated for each of its frames (repeat_interleave).</summary>
    private static Value RepeatPerFrame(GraphBuilder g, Value x, int frames)
    {
        var expanded = g.Op("Expand", [g.Op("Unsqueeze", [x, g.Ints(1)], []), g.Concat(0, g.ShapeSlice(x, 0, 1), g.Ints(frames), g.ShapeSlice(x, 1, 8))], []);
        return g.Op("Reshape", [expanded, g.Concat(0, g.Ints(-1), g.ShapeSlice(x, 1, 8))], []);
    }

    /// <summary>What every block of one forward pass shares: the frame count and the per-frame conditioning.</summary>
    private sealed class BlockContext(GraphBuilder g, Config config, int frames, Value activatedEmb, Value frameContext)
    {
        public Value ResBlock(string prefix, Value x, float eps) =>
            new SpatioTemporalResBlock(g, prefix, frames, eps).Forward(x, activatedEmb);

        public Value Transformer(string prefix, Value x, int heads) =>
            new TransformerSpatioTemporalModel(g, prefix, frames, heads, config.TransformerLayersPerBlock).Forward(x, frameContext);
    }

    /// <summary>linear_1 → SiLU → linear_2.</summary>
    private sealed class TimestepEmbedding(GraphBuilder g, string prefix) : Layer(g, prefix)
    {
        public Value Forward(Value x) =>
            new Linear(Graph, Child("linear_2")).Forward(Graph.Silu(new Linear(Graph, Child("linear_1")).Forward(x)));
    }

    /// <summary>Spatial ResnetBlock2D per frame, TemporalResnetBlock across frames, out = α·spatial + (1 − α)·temporal.</summary>
    private sealed class SpatioTemporalResBlock(GraphBuilder g, string prefix, int frames, float eps) : Layer(g, prefix)
    {
        public Value Forward(Value x, Value activatedEmb)
        {
            var spatial = new ResnetBlock2D(Graph, Child("spatial_res_block"), Groups, eps).Forward(x, activatedEmb);
            var spatialVideo = Graph.FramesToVideo(spatial, frames);
            var temporalVideo = new TemporalResnetBlock(Graph, Child("temporal_res_block"), Groups, eps).Forward(spatialVideo, frames, activatedEmb);
            return Graph.VideoToFrames(Graph.Blend(Weight("time_mixer.mix_factor"), spatialVideo, temporalVideo));
        }
    }

    /// <summary>
    /// GroupNorm → proj_in → per layer: spatial transformer block over the H·W tokens of each frame, then a temporal
    /// block over the F frames at each position (with a learned frame-position embedding and the first frame's
    /// context), blended by a learned factor → proj_out → + input.
    /// </summary>
    private sealed class TransformerSpatioTemporalModel(GraphBuilder g, string prefix, int frames, int heads, int layers) : Layer(g, prefix)
    {
        public Value Forward(Value x, Value context)
        {
            var channels = Graph.Checkpoint[Child("proj_in.weight")].Shape[0];
            var normed = new GroupNorm(Graph, Child("norm"), Groups, TransformerNormEps).Forward(x);
            var tokens = Graph.Transpose(Graph.Reshape(normed, 0, channels, -1), 0, 2, 1);                      // (B·F, HW, C)
            var h = new Linear(Graph, Child("proj_in")).Forward(tokens);

            // Frame f's position embedding: time_pos_embed(sinusoid(f)), the same for every clip.
            var framePositions = Sinusoid(Graph, Graph.Float32Constant(Enumerable.Range(0, frames).Select(f => (float)f).ToArray(), frames, 1), channels);
            var framePosition = Graph.Reshape(new TimestepEmbedding(Graph, Child("time_pos_embed")).Forward(framePositions), 1, frames, 1, channels);

            // The temporal blocks cross-attend to the context of each clip's first frame, at every spatial position.
            var tokenCount = Graph.ShapeSlice(tokens, 1, 2);
            var firstFrameContext = Graph.Op("Gather", [Graph.Op("Reshape", [context, Graph.Concat(0, Graph.Ints(-1, frames), Graph.ShapeSlice(context, 1, 3))], []), Graph.Ints(0)], [Attr.Int("axis", 1)]);
            var perPosition = Graph.Op("Expand", [firstFrameContext, Graph.Concat(0, Graph.Ints(1), tokenCount, Graph.Ints(1, 1))], []); // (B, HW, S, D)
            var timeContext = Graph.Op("Reshape", [perPosition, Graph.Concat(0, Graph.Ints(-1), Graph.ShapeSlice(context, 1, 3))], []);   // (B·HW, S, D)

            for (var l = 0; l < layers; l++)
            {
                h = new BasicTransformerBlock(Graph, Child($"transformer_blocks.{l}"), heads).Forward(h, context);
                var byClip = Graph.Op("Reshape", [h, Graph.Concat(0, Graph.Ints(-1, frames), tokenCount, Graph.Ints(channels))], []);     // (B, F, HW, C)
                var withPosition = Graph.Op("Reshape", [Graph.Add(byClip, framePosition), Graph.Concat(0, Graph.Ints(-1), tokenCount, Graph.Ints(channels))], []);
                var temporal = new TemporalBasicTransformerBlock(Graph, Child($"temporal_transformer_blocks.{l}"), heads, frames).Forward(withPosition, timeContext);
                h = Graph.Blend(Weight("time_mixer.mix_factor"), h, temporal);
            }

            var projected = new Linear(Graph, Child("proj_out")).Forward(h);
            var image = Graph.Op("Reshape", [Graph.Transpose(projected, 0, 2, 1), Graph.Op("Shape", [x], [])], []);
            return Graph.Add(image, x);
        }
    }

    /// <summary>Pre-LayerNorm block: self-attention, cross-attention to the context, GEGLU feed-forward; each residual.</summary>
    private sealed class BasicTransformerBlock(GraphBuilder g, string prefix, int heads) : Layer(g, prefix)
    {
        public Value Forward(Value h, Value context)
        {
            h = Graph.Add(h, new Attention(Graph, Child("attn1"), heads).Forward(Norm("norm1", h)));
            h = Graph.Add(h, new Attention(Graph, Child("attn2"), heads).Forward(Norm("norm2", h), context));
            return Graph.Add(h, new GegluFeedForward(Graph, Child("ff")).Forward(Norm("norm3", h)));
        }

        private Value Norm(string name, Value x) => new LayerNorm(Graph, Child(name), LayerNormEps).Forward(x);
    }

    /// <summary>
    /// The same over frames: (B·F, HW, C) is regrouped to (B·HW, F, C) so attention runs across the F frames at each
    /// position; ff_in with its residual comes first.
    /// </summary>
    private sealed class TemporalBasicTransformerBlock(GraphBuilder g, string prefix, int heads, int frames) : Layer(g, prefix)
    {
        public Value Forward(Value h, Value timeContext)
        {
            var channels = Graph.Checkpoint[Child("norm_in.weight")].Shape[0];
            var tokenCount = Graph.ShapeSlice(h, 1, 2);
            var byClip = Graph.Op("Reshape", [h, Graph.Concat(0, Graph.Ints(-1, frames), tokenCount, Graph.Ints(channels))], []);             // (B, F, HW, C)
            var perPosition = Graph.Reshape(Graph.Transpose(byClip, 0, 2, 1, 3), -1, frames, channels);                                       // (B·HW, F, C)
            var x = Graph.Add(perPosition, new GegluFeedForward(Graph, Child("ff_in")).Forward(Norm("norm_in", perPosition)));
            x = Graph.Add(x, new Attention(Graph, Child("attn1"), heads).Forward(Norm("norm1", x)));
            x = Graph.Add(x, new Attention(Graph, Child("attn2"), heads).Forward(Norm("norm2", x), timeContext));
            x = Graph.Add(x, new GegluFeedForward(Graph, Child("ff")).Forward(Norm("norm3", x)));
            var grouped = Graph.Op("Reshape", [x, Graph.Concat(0, Graph.Ints(-1), tokenCount, Graph.Ints(frames, channels))], []);          // (B, HW, F, C)
            return Graph.Op("Reshape", [Graph.Transpose(grouped, 0, 2, 1, 3), Graph.Concat(0, Graph.Ints(-1), tokenCount, Graph.Ints(channels))], []);
        }

        private Value Norm(string name, Value x) => new LayerNorm(Graph, Child(name), LayerNormEps).Forward(x);
    }

    /// <summary>Multi-head attention; q, k, v without bias, to_out.0 with bias; keys and values from the context when given.</summary>
    private sealed class Attention(GraphBuilder g, string prefix, int heads) : Layer(g, prefix)
    {
        public Value Forward(Value x, Value? context = null)
        {
            var source = context ?? x;
            var innerDim = Graph.Checkpoint[Child("to_q.weight")].Shape[0];
            var q = new Linear(Graph, Child("to_q")).Forward(x);
            var k = new Linear(Graph, Child("to_k")).Forward(source);
            var v = new Linear(Graph, Child("to_v")).Forward(source);
            var attended = Graph.MultiHeadAttention(q, k, v, heads, 1f / MathF.Sqrt(innerDim / heads));
            return new Linear(Graph, Child("to_out.0")).Forward(attended);
        }
    }

    /// <summary>net.0.proj → (value, gate) halves → value · gelu(gate) → net.2.</summary>
    private sealed class GegluFeedForward(GraphBuilder g, string prefix) : Layer(g, prefix)
    {
        public Value Forward(Value x)
        {
            var inner = Graph.Checkpoint[Child("net.0.proj.weight")].Shape[0] / 2;
            var projected = new Linear(Graph, Child("net.0.proj")).Forward(x);
            var value = Graph.Slice(projected, -1, 0, inner);
            var gate = Graph.Slice(projected, -1, inner, 2 * inner);
            return new Linear(Graph, Child("net.2")).Forward(Graph.Mul(value, Graph.Gelu(gate)));
        }
    }
}
