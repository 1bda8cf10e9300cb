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

    /// <summary>What kind of block sits at one level of the UNet.</summary>
    public enum BlockKind
    {
        /// <summary>DownBlockSpatioTemporal / UpBlockSpatioTemporal: res blocks only.</summary>
        SpatioTemporal,

        /// <summary>CrossAttnDownBlockSpatioTemporal / CrossAttnUpBlockSpatioTemporal: each res block followed by a spatio-temporal transformer.</summary>
        CrossAttnSpatioTemporal,
    }

    /// <summary><c>transformer_layers_per_block</c> for one block: one count for every layer of it, or one per layer.</summary>
    public sealed record TransformerDepth(int Count, int[]? PerLayer)
    {
        public int ForLayer(int layer) => PerLayer?[layer] ?? Count;

        /// <summary>How many layers the value can serve.</summary>
        public int Layers => PerLayer?.Length ?? int.MaxValue;

        public override string ToString() => PerLayer is null ? Count.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"[{string.Join(", ", PerLayer)}]";
    }

    /// <summary>
    /// The constructor arguments of diffusers' UNetSpatioTemporalConditionModel, every per-block value spelled out
    /// per down block (index i); the up blocks read them reversed, as diffusers does.
    /// </summary>
    public sealed record Config(
        int InChannels,
        int OutChannels,
        BlockKind[] DownBlocks,
        BlockKind[] UpBlocks,
        int[] BlockOutChannels,
        int AdditionTimeEmbedDim,
        int ProjectionClassEmbeddingsInputDim,
        int[] LayersPerBlock,
        int[] CrossAttentionDim,
        int[] NumAttentionHeads,
        TransformerDepth[] TransformerLayersPerBlock)
    {
        public int DownsamplingFactor => 1 << (BlockOutChannels.Length - 1);

        /// <summary>Reads config.json as diffusers' constructor does; a value it would refuse is one error line naming the key.</summary>
        public static Config From(ModelConfig json)
        {
            ArgumentNullException.ThrowIfNull(json);
            var downTypes = json.Texts("down_block_types", ["CrossAttnDownBlockSpatioTemporal", "CrossAttnDownBlockSpatioTemporal", "CrossAttnDownBlockSpatioTemporal", "DownBlockSpatioTemporal"]);
            var upTypes = json.Texts("up_block_types", ["UpBlockSpatioTemporal", "CrossAttnUpBlockSpatioTemporal", "CrossAttnUpBlockSpatioTemporal", "CrossAttnUpBlockSpatioTemporal"]);
            var blocks = downTypes.Length;
            if (upTypes.Length != blocks)
            {
                throw json.Error("up_block_types", $"must provide the same number of `up_block_types` as `down_block_types` ({blocks})");
            }

            var channels = json.Ints("block_out_channels", [320, 640, 1280, 1280]);
            if (channels.Length != blocks)
            {
                throw json.Error("block_out_channels", $"must provide the same number of `block_out_channels` as `down_block_types` ({blocks})");
            }

            var heads = json.IntPerBlock("num_attention_heads", [5, 10, 20, 20], blocks, "down_block_types");
            var config = new Config(
                json.Int("in_channels", 8),
                json.Int("out_channels", 4),
                downTypes.Select(type => Kind(json, "down_block_types", type, "CrossAttnDownBlockSpatioTemporal", "DownBlockSpatioTemporal")).ToArray(),
                upTypes.Select(type => Kind(json, "up_block_types", type, "CrossAttnUpBlockSpatioTemporal", "UpBlockSpatioTemporal")).ToArray(),
                channels,
                json.Int("addition_time_embed_dim", 256),
                json.Int("projection_class_embeddings_input_dim", 768),
                json.IntPerBlock("layers_per_block", [2], blocks, "down_block_types"),
                json.IntPerBlock("cross_attention_dim", [1024], blocks, "down_block_types"),
                heads,
                json.DepthPerBlock("transformer_layers_per_block", 1, blocks, "down_block_types").Select(d => new TransformerDepth(d.Count, d.PerLayer)).ToArray());
            config.Validate(json);
            return config;
        }

        /// <summary>Every block's transformer depth for its layers (down block i: LayersPerBlock[i] layers).</summary>
        public TransformerDepth DownDepth(int block) => TransformerLayersPerBlock[block];

        /// <summary>Up block i reads the per-block values of down block n−1−i and has one layer more.</summary>
        public int UpIndex(int block) => BlockOutChannels.Length - 1 - block;

        /// <summary>diffusers hands transformer_layers_per_block[-1] to the mid block, whose single layer reads its first entry.</summary>
        public int MidDepth => TransformerLayersPerBlock[^1].ForLayer(0);

        private static BlockKind Kind(ModelConfig json, string key, string type, string crossAttn, string plain) =>
            type == crossAttn ? BlockKind.CrossAttnSpatioTemporal
            : type == plain ? BlockKind.SpatioTemporal
            : throw json.Error(key, $"'{type}' is not a block of UNetSpatioTemporalConditionModel ({crossAttn} or {plain})");

        private void Validate(ModelConfig json)
        {
            var blocks = BlockOutChannels.Length;
            for (var i = 0; i < blocks; i++)
            {
                // Down block i and the up block that reads block i's values (reversed, with one layer more) take
                // a transformer depth for each of their layers; a per-layer list must reach that far (diffusers
                // would fail with an IndexError).
                var downAttention = DownBlocks[i] == BlockKind.CrossAttnSpatioTemporal;
                var upAttention = UpBlocks[blocks - 1 - i] == BlockKind.CrossAttnSpatioTemporal;
                var needed = Math.Max(downAttention ? LayersPerBlock[i] : 0, upAttention ? LayersPerBlock[i] + 1 : 0);
                if (i == blocks - 1)
                {
                    needed = Math.Max(needed, 1);
                }

                if (TransformerLayersPerBlock[i].Layers < needed)
                {
                    throw json.Error("transformer_layers_per_block", $"block {i} needs a count for each of {needed} layers, got {TransformerLayersPerBlock[i]}");
                }

                // diffusers gives each transformer heads × (channels / heads) inner channels and adds the frame
                // position embedding (channels wide) to them: the heads must divide the channels.
                if ((downAttention || upAttention || i == blocks - 1) && (NumAttentionHeads[i] <= 0 || BlockOutChannels[i] % NumAttentionHeads[i] != 0))
                {
                    throw json.Error("num_attention_heads", $"{NumAttentionHeads[i]} heads do not divide the {BlockOutChannels[i]} channels of block {i}");
                }

                if (BlockOutChannels[i] <= 0 || BlockOutChannels[i] % Groups != 0)
                {
                    throw json.Error("block_out_channels", $"{BlockOutChannels[i]} channels cannot form {Groups} groups");
                }

                if (LayersPerBlock[i] < 1)
                {
                    throw json.Error("layers_per_block", $"block {i} has no layers");
                }
            }

            if (ProjectionClassEmbeddingsInputDim != 3 * AdditionTimeEmbedDim)
            {
                throw json.Error("projection_class_embeddings_input_dim", $"the three added time ids embed to 3 × addition_time_embed_dim = {3 * AdditionTimeEmbedDim} features");
            }
        }
    }

    /// <param name="exposeIntermediates">Also output what each main module produced, named like diffusers' modules (for checking against the reference).</param>
    public static OnnxModel Build(IWeightSource weights, Config config, int frames, Precision precision = Precision.Float32, bool exposeIntermediates = false, AttentionKernel attention = AttentionKernel.Fused)
    {
        var g = new GraphBuilder(weights, precision, attention);
        Define(g, config, frames, exposeIntermediates);
        return g.Build($"unet_{frames}");
    }

    /// <summary>The state dict diffusers builds for this config: every weight the graph declares, in order.</summary>
    public static IReadOnlyList<WeightShape> StateDict(Config config)
    {
        var inventory = new WeightInventory();
        Define(new GraphBuilder(inventory), config, frames: 1, exposeIntermediates: false);
        return inventory.Entries;
    }

    private static void Define(GraphBuilder g, Config config, int frames, bool exposeIntermediates)
    {
        Value Probe(Value value, string name)
        {
            if (exposeIntermediates)
            {
                g.Output(value, name);
            }

            return value;
        }

        var channels = config.BlockOutChannels;
        var timeEmbedDim = 4 * channels[0];
        var sample = g.Input("sample", null, frames, config.InChannels, null, null);
        var timestep = g.InputFloat32("timestep", 1);
        var context = g.Input("encoder_hidden_states", null, null, null);
        var addedTimeIds = g.InputFloat32("added_time_ids", null, 3);

        // 1–2. Time embedding plus the embedding of the added time ids, one per clip.
        var timeFeatures = Sinusoid(g, g.Reshape(timestep, 1, 1), channels[0]);
        var clipTimeFeatures = Probe(g.Op("Expand", [timeFeatures, g.Concat(0, g.ShapeSlice(addedTimeIds, 0, 1), g.Ints(1))], []), "time_proj");
        var emb = Probe(new TimestepEmbedding(g, "time_embedding", channels[0], timeEmbedDim, timeEmbedDim).Forward(clipTimeFeatures), "time_embedding");
        var idFeatures = Probe(Sinusoid(g, g.Reshape(addedTimeIds, -1, 1), config.AdditionTimeEmbedDim), "add_time_proj");
        var addEmb = Probe(new TimestepEmbedding(g, "add_embedding", config.ProjectionClassEmbeddingsInputDim, timeEmbedDim, timeEmbedDim)
            .Forward(g.Reshape(idFeatures, -1, 3 * config.AdditionTimeEmbedDim)), "add_embedding");
        emb = g.Add(emb, addEmb);

        // 3. Everything per frame: (B, F, …) → (B·F, …), embeddings repeated for each frame of their clip.
        var frameEmb = RepeatPerFrame(g, emb, frames);
        var frameContext = RepeatPerFrame(g, context, frames);
        var activatedEmb = g.Silu(frameEmb);
        var h = g.ReshapeTo(sample, g.Ints(-1), g.ShapeSlice(sample, 2, 5));

        // 4. conv_in, down blocks (keeping skips), mid block, up blocks (consuming skips last-in-first-out), out.
        var block = new BlockContext(g, frames, timeEmbedDim, activatedEmb, frameContext);
        h = Probe(Conv.Same3x3(g, "conv_in", config.InChannels, channels[0]).Forward(h), "conv_in");
        var skips = new Stack<(Value Value, int Channels)>([(h, channels[0])]);
        var current = channels[0];
        for (var i = 0; i < config.DownBlocks.Length; i++)
        {
            var hasAttention = config.DownBlocks[i] == BlockKind.CrossAttnSpatioTemporal;
            var eps = hasAttention ? CrossAttnBlockEps : PlainBlockEps;
            for (var j = 0; j < config.LayersPerBlock[i]; j++)
            {
                h = block.ResBlock($"down_blocks.{i}.resnets.{j}", h, current, channels[i], eps);
                current = channels[i];
                if (hasAttention)
                {
                    h = block.Transformer($"down_blocks.{i}.attentions.{j}", h, current, config.NumAttentionHeads[i], config.CrossAttentionDim[i], config.DownDepth(i).ForLayer(j));
                }

                skips.Push((h, current));
            }

            if (i < config.DownBlocks.Length - 1)
            {
                h = new Conv(g, $"down_blocks.{i}.downsamplers.0.conv", current, current, [3, 3], [1, 1, 1, 1], stride: 2).Forward(h);
                skips.Push((h, current));
            }

            Probe(h, $"down_blocks.{i}");
        }

        h = block.ResBlock("mid_block.resnets.0", h, current, current, PlainBlockEps);
        h = block.Transformer("mid_block.attentions.0", h, current, config.NumAttentionHeads[^1], config.CrossAttentionDim[^1], config.MidDepth);
        h = Probe(block.ResBlock("mid_block.resnets.1", h, current, current, PlainBlockEps), "mid_block");

        for (var i = 0; i < config.UpBlocks.Length; i++)
        {
            var source = config.UpIndex(i);
            var output = channels[source];
            var hasAttention = config.UpBlocks[i] == BlockKind.CrossAttnSpatioTemporal;
            for (var j = 0; j <= config.LayersPerBlock[source]; j++)
            {
                var (skip, skipChannels) = skips.Pop();
                h = g.Concat(1, h, skip);
                h = block.ResBlock($"up_blocks.{i}.resnets.{j}", h, current + skipChannels, output, CrossAttnBlockEps);
                current = output;
                if (hasAttention)
                {
                    h = block.Transformer($"up_blocks.{i}.attentions.{j}", h, current, config.NumAttentionHeads[source], config.CrossAttentionDim[source], config.DownDepth(source).ForLayer(j));
                }
            }

            if (i < config.UpBlocks.Length - 1)
            {
                h = Conv.Same3x3(g, $"up_blocks.{i}.upsamplers.0.conv", current, current).Forward(g.UpsampleNearest2x(h));
            }

            Probe(h, $"up_blocks.{i}");
        }

        h = g.Silu(Probe(new GroupNorm(g, "conv_norm_out", current, Groups, PlainBlockEps).Forward(h), "conv_norm_out"));
        h = Probe(Conv.Same3x3(g, "conv_out", current, config.OutChannels).Forward(h), "conv_out");
        g.Output(g.ReshapeTo(h, g.Ints(-1, frames), g.ShapeSlice(h, 1, 4)), "out_sample");
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
    private sealed class BlockContext(GraphBuilder g, int frames, int timeEmbedDim, Value activatedEmb, Value frameContext)
    {
        public Value ResBlock(string prefix, Value x, int inChannels, int outChannels, float eps) =>
            new SpatioTemporalResBlock(g, prefix, inChannels, outChannels, timeEmbedDim, frames, eps).Forward(x, activatedEmb);

        public Value Transformer(string prefix, Value x, int channels, int heads, int crossAttentionDim, int layers) =>
            new TransformerSpatioTemporalModel(g, prefix, channels, heads, crossAttentionDim, frames, layers).Forward(x, frameContext);
    }

    /// <summary>linear_1 → SiLU → linear_2 (diffusers' TimestepEmbedding(in, time_embed_dim, out_dim)).</summary>
    private sealed class TimestepEmbedding(GraphBuilder g, string prefix, int inChannels, int timeEmbedDim, int outDim) : Layer(g, prefix)
    {
        public Value Forward(Value x) =>
            new Linear(Graph, Child("linear_2"), timeEmbedDim, outDim).Forward(Graph.Silu(new Linear(Graph, Child("linear_1"), inChannels, timeEmbedDim).Forward(x)));
    }

    /// <summary>Spatial ResnetBlock2D per frame, TemporalResnetBlock across frames, out = α·spatial + (1 − α)·temporal.</summary>
    private sealed class SpatioTemporalResBlock(GraphBuilder g, string prefix, int inChannels, int outChannels, int timeEmbedDim, int frames, float eps) : Layer(g, prefix)
    {
        public Value Forward(Value x, Value activatedEmb)
        {
            var spatial = new ResnetBlock2D(Graph, Child("spatial_res_block"), inChannels, outChannels, timeEmbedDim, Groups, eps).Forward(x, activatedEmb);
            var spatialVideo = Graph.FramesToVideo(spatial, frames);
            var temporalVideo = new TemporalResnetBlock(Graph, Child("temporal_res_block"), outChannels, timeEmbedDim, Groups, eps).Forward(spatialVideo, frames, activatedEmb);
            return Graph.VideoToFrames(Graph.Blend(Weight("time_mixer.mix_factor", 1), spatialVideo, temporalVideo));
        }
    }

    /// <summary>
    /// GroupNorm → proj_in → per layer: spatial transformer block over the H·W tokens of each frame, then a temporal
    /// block over the F frames at each position (with a learned frame-position embedding and the first frame's
    /// context), blended by a learned factor → proj_out → + input. The heads divide the channels (checked with the
    /// config), so the inner width heads × (channels / heads) is the channel count.
    /// </summary>
    private sealed class TransformerSpatioTemporalModel(GraphBuilder g, string prefix, int channels, int heads, int crossAttentionDim, int frames, int layers) : Layer(g, prefix)
    {
        public Value Forward(Value x, Value context)
        {
            var normed = new GroupNorm(Graph, Child("norm"), channels, Groups, TransformerNormEps).Forward(x);
            var tokens = Graph.Transpose(Graph.Reshape(normed, 0, channels, -1), 0, 2, 1);                      // (B·F, HW, C)
            var h = new Linear(Graph, Child("proj_in"), channels, channels).Forward(tokens);

            // Frame f's position embedding: time_pos_embed(sinusoid(f)), the same for every clip.
            var framePositions = Sinusoid(Graph, Graph.Float32Constant(Enumerable.Range(0, frames).Select(f => (float)f).ToArray(), frames, 1), channels);
            var framePosition = Graph.Reshape(new TimestepEmbedding(Graph, Child("time_pos_embed"), channels, 4 * channels, channels).Forward(framePositions), 1, frames, 1, channels);

            // The temporal blocks cross-attend to the context of each clip's first frame, at every spatial position.
            var tokenCount = Graph.ShapeSlice(tokens, 1, 2);
            var firstFrameContext = Graph.Op("Gather", [Graph.ReshapeTo(context, Graph.Ints(-1, frames), Graph.ShapeSlice(context, 1, 3)), Graph.Ints(0)], [Attr.Int("axis", 1)]);
            var perPosition = Graph.Op("Expand", [firstFrameContext, Graph.Concat(0, Graph.Ints(1), tokenCount, Graph.Ints(1, 1))], []); // (B, HW, S, D)
            var timeContext = Graph.ReshapeTo(perPosition, Graph.Ints(-1), Graph.ShapeSlice(context, 1, 3));                            // (B·HW, S, D)

            for (var l = 0; l < layers; l++)
            {
                h = new BasicTransformerBlock(Graph, Child($"transformer_blocks.{l}"), channels, heads, crossAttentionDim).Forward(h, context);
                var byClip = Graph.ReshapeTo(h, Graph.Ints(-1, frames), tokenCount, Graph.Ints(channels));                                  // (B, F, HW, C)
                var withPosition = Graph.ReshapeTo(Graph.Add(byClip, framePosition), Graph.Ints(-1), tokenCount, Graph.Ints(channels));
                var temporal = new TemporalBasicTransformerBlock(Graph, Child($"temporal_transformer_blocks.{l}"), channels, heads, crossAttentionDim, frames).Forward(withPosition, timeContext);
                h = Graph.Blend(Weight("time_mixer.mix_factor", 1), h, temporal);
            }

            var projected = new Linear(Graph, Child("proj_out"), channels, channels).Forward(h);
            var image = Graph.ReshapeTo(Graph.Transpose(projected, 0, 2, 1), Graph.ShapeOf(x));
            return Graph.Add(image, x);
        }
    }

    /// <summary>Pre-LayerNorm block: self-attention, cross-attention to the context, GEGLU feed-forward; each residual.</summary>
    private sealed class BasicTransformerBlock(GraphBuilder g, string prefix, int channels, int heads, int crossAttentionDim) : Layer(g, prefix)
    {
        public Value Forward(Value h, Value context)
        {
            h = Graph.Add(h, new Attention(Graph, Child("attn1"), channels, channels, heads).Forward(Norm("norm1", h)));
            h = Graph.Add(h, new Attention(Graph, Child("attn2"), channels, crossAttentionDim, heads).Forward(Norm("norm2", h), context));
            return Graph.Add(h, new GegluFeedForward(Graph, Child("ff"), channels).Forward(Norm("norm3", h)));
        }

        private Value Norm(string name, Value x) => new LayerNorm(Graph, Child(name), channels, LayerNormEps).Forward(x);
    }

    /// <summary>
    /// The same over frames: (B·F, HW, C) is regrouped to (B·HW, F, C) so attention runs across the F frames at each
    /// position; ff_in with its residual comes first.
    /// </summary>
    private sealed class TemporalBasicTransformerBlock(GraphBuilder g, string prefix, int channels, int heads, int crossAttentionDim, int frames) : Layer(g, prefix)
    {
        public Value Forward(Value h, Value timeContext)
        {
            var tokenCount = Graph.ShapeSlice(h, 1, 2);
            var byClip = Graph.ReshapeTo(h, Graph.Ints(-1, frames), tokenCount, Graph.Ints(channels));                                          // (B, F, HW, C)
            var perPosition = Graph.Reshape(Graph.Transpose(byClip, 0, 2, 1, 3), -1, frames, channels);                                       // (B·HW, F, C)
            var x = Graph.Add(perPosition, new GegluFeedForward(Graph, Child("ff_in"), channels).Forward(Norm("norm_in", perPosition)));
            x = Graph.Add(x, new Attention(Graph, Child("attn1"), channels, channels, heads).Forward(Norm("norm1", x)));
            x = Graph.Add(x, new Attention(Graph, Child("attn2"), channels, crossAttentionDim, heads).Forward(Norm("norm2", x), timeContext));
            x = Graph.Add(x, new GegluFeedForward(Graph, Child("ff"), channels).Forward(Norm("norm3", x)));
            var grouped = Graph.ReshapeTo(x, Graph.Ints(-1), tokenCount, Graph.Ints(frames, channels));                                       // (B, HW, F, C)
            return Graph.ReshapeTo(Graph.Transpose(grouped, 0, 2, 1, 3), Graph.Ints(-1), tokenCount, Graph.Ints(channels));
        }

        private Value Norm(string name, Value x) => new LayerNorm(Graph, Child(name), channels, LayerNormEps).Forward(x);
    }

    /// <summary>Multi-head attention; q, k, v without bias, to_out.0 with bias; keys and values from the context (<paramref name="sourceDim"/> wide) when given.</summary>
    private sealed class Attention(GraphBuilder g, string prefix, int queryDim, int sourceDim, int heads) : Layer(g, prefix)
    {
        public Value Forward(Value x, Value? context = null)
        {
            var source = context ?? x;
            var innerDim = queryDim;
            var q = new Linear(Graph, Child("to_q"), queryDim, innerDim, bias: false).Forward(x);
            var k = new Linear(Graph, Child("to_k"), sourceDim, innerDim, bias: false).Forward(source);
            var v = new Linear(Graph, Child("to_v"), sourceDim, innerDim, bias: false).Forward(source);
            var attended = Graph.MultiHeadAttention(q, k, v, heads, 1f / MathF.Sqrt(innerDim / heads));
            return new Linear(Graph, Child("to_out.0"), innerDim, queryDim).Forward(attended);
        }
    }

    /// <summary>diffusers' FeedForward(dim, activation_fn="geglu"): net.0.proj (dim → 2·4·dim) → (value, gate) halves → value · gelu(gate) → net.2 (4·dim → dim).</summary>
    private sealed class GegluFeedForward(GraphBuilder g, string prefix, int channels) : Layer(g, prefix)
    {
        public Value Forward(Value x)
        {
            var inner = 4 * channels;
            var projected = new Linear(Graph, Child("net.0.proj"), channels, 2 * inner).Forward(x);
            var value = Graph.Slice(projected, -1, 0, inner);
            var gate = Graph.Slice(projected, -1, inner, 2 * inner);
            return new Linear(Graph, Child("net.2"), inner, channels).Forward(Graph.Mul(value, Graph.Gelu(gate)));
        }
    }
}
