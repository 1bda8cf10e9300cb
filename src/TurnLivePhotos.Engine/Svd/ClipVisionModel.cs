using TurnLivePhotos.Engine.Onnx;
using TurnLivePhotos.Engine.Weights;

namespace TurnLivePhotos.Engine.Svd;

/// <summary>
/// transformers' CLIPVisionModelWithProjection (SVD's image encoder, ViT-H/14 in the real model):
/// patch embedding + class token + positions → pre_layrnorm → encoder layers → post_layernorm of the class token
/// → visual_projection. Graph inputs: <c>pixel_values</c> (B, 3, S, S), CLIP-normalised.
/// Outputs: <c>image_embeds</c> (B, projection_dim), <c>last_hidden_state</c> (B, 1 + patches, hidden).
/// </summary>
public static class ClipVisionModel
{
    /// <summary>The activation between the MLP's two layers (transformers' hidden_act).</summary>
    public enum Activation
    {
        /// <summary>"quick_gelu": x · sigmoid(1.702 x), CLIP's original and the library default.</summary>
        QuickGelu,

        /// <summary>"gelu": the exact erf GELU (ViT-H/14, the SVD image encoder).</summary>
        Gelu,
    }

    /// <summary>transformers' CLIPVisionConfig, every value a single int (or float, or activation name).</summary>
    public sealed record Config(int ImageSize, int PatchSize, int NumChannels, int HiddenSize, int IntermediateSize, int Heads, int Layers, int ProjectionDim, float LayerNormEps, Activation HiddenAct)
    {
        /// <summary>Patches per image plus the class token.</summary>
        public int Positions => ((ImageSize / PatchSize) * (ImageSize / PatchSize)) + 1;

        public static Config From(ModelConfig json)
        {
            ArgumentNullException.ThrowIfNull(json);
            var act = json.Text("hidden_act", "quick_gelu");
            var config = new Config(
                json.Int("image_size", 224),
                json.Int("patch_size", 32),
                json.Int("num_channels", 3),
                json.Int("hidden_size", 768),
                json.Int("intermediate_size", 3072),
                json.Int("num_attention_heads", 12),
                json.Int("num_hidden_layers", 12),
                json.Int("projection_dim", 512),
                json.Float("layer_norm_eps", 1e-5f),
                act switch
                {
                    "quick_gelu" => Activation.QuickGelu,
                    "gelu" => Activation.Gelu,
                    _ => throw json.Error("hidden_act", "supported activations are quick_gelu and gelu"),
                });
            if (config.Heads <= 0 || config.HiddenSize % config.Heads != 0)
            {
                throw json.Error("num_attention_heads", $"must divide hidden_size ({config.HiddenSize}), as transformers requires");
            }

            return config.PatchSize > 0 && config.ImageSize >= config.PatchSize ? config : throw json.Error("patch_size", $"must fit image_size ({config.ImageSize})");
        }
    }

    public static OnnxModel Build(IWeightSource weights, Config config, Precision precision = Precision.Float32, AttentionKernel attention = AttentionKernel.Fused)
    {
        var g = new GraphBuilder(weights, precision, attention);
        Define(g, config);
        return g.Build("clip_vision");
    }

    /// <summary>The state dict transformers builds for this config, in declaration order.</summary>
    public static IReadOnlyList<WeightShape> StateDict(Config config)
    {
        var inventory = new WeightInventory();
        Define(new GraphBuilder(inventory), config);
        return inventory.Entries;
    }

    private static void Define(GraphBuilder g, Config config)
    {
        var pixels = g.Input("pixel_values", null, config.NumChannels, config.ImageSize, config.ImageSize);

        var x = new Embeddings(g, "vision_model.embeddings", config).Forward(pixels);
        x = new LayerNorm(g, "vision_model.pre_layrnorm", config.HiddenSize, config.LayerNormEps).Forward(x);
        for (var i = 0; i < config.Layers; i++)
        {
            x = new EncoderLayer(g, $"vision_model.encoder.layers.{i}", config).Forward(x);
        }

        var classToken = g.Op("Gather", [x, g.Constant([0L])], [Attr.Int("axis", 1)]);
        var pooled = new LayerNorm(g, "vision_model.post_layernorm", config.HiddenSize, config.LayerNormEps).Forward(g.Reshape(classToken, 0, -1));
        g.Output(new Linear(g, "visual_projection", config.HiddenSize, config.ProjectionDim, bias: false).Forward(pooled), "image_embeds");
        g.Output(x, "last_hidden_state");
    }

    /// <summary>Class token, then one token per patch, plus learned position embeddings.</summary>
    private sealed class Embeddings(GraphBuilder g, string prefix, Config config) : Layer(g, prefix)
    {
        public Value Forward(Value pixels)
        {
            var patches = new Conv(Graph, Child("patch_embedding"), config.NumChannels, config.HiddenSize, [config.PatchSize, config.PatchSize], [0, 0, 0, 0], config.PatchSize, bias: false).Forward(pixels);
            var tokens = Graph.Transpose(Graph.Reshape(patches, 0, config.HiddenSize, -1), 0, 2, 1);
            var batchShape = Graph.Concat(0, Graph.ShapeSlice(pixels, 0, 1), Graph.Ints(1, config.HiddenSize));
            var classToken = Graph.Op("Expand", [Graph.Reshape(Weight("class_embedding", config.HiddenSize), 1, 1, -1), batchShape], []);
            var sequence = Graph.Concat(1, classToken, tokens);
            return Graph.Add(sequence, Weight("position_embedding.weight", config.Positions, config.HiddenSize));
        }
    }

    /// <summary>Pre-norm transformer layer: x + attn(ln1(x)), then x + mlp(ln2(x)).</summary>
    private sealed class EncoderLayer(GraphBuilder g, string prefix, Config config) : Layer(g, prefix)
    {
        public Value Forward(Value x)
        {
            var attended = new SelfAttention(Graph, Child("self_attn"), config).Forward(new LayerNorm(Graph, Child("layer_norm1"), config.HiddenSize, config.LayerNormEps).Forward(x));
            x = Graph.Add(x, attended);
            var normed = new LayerNorm(Graph, Child("layer_norm2"), config.HiddenSize, config.LayerNormEps).Forward(x);
            var hidden = new Linear(Graph, Child("mlp.fc1"), config.HiddenSize, config.IntermediateSize).Forward(normed);
            hidden = config.HiddenAct == Activation.QuickGelu ? Graph.QuickGelu(hidden) : Graph.Gelu(hidden);
            return Graph.Add(x, new Linear(Graph, Child("mlp.fc2"), config.IntermediateSize, config.HiddenSize).Forward(hidden));
        }
    }

    private sealed class SelfAttention(GraphBuilder g, string prefix, Config config) : Layer(g, prefix)
    {
        public Value Forward(Value x)
        {
            var hidden = config.HiddenSize;
            var headDim = hidden / config.Heads;
            var q = new Linear(Graph, Child("q_proj"), hidden, hidden).Forward(x);
            var k = new Linear(Graph, Child("k_proj"), hidden, hidden).Forward(x);
            var v = new Linear(Graph, Child("v_proj"), hidden, hidden).Forward(x);
            var attended = Graph.MultiHeadAttention(q, k, v, config.Heads, 1f / MathF.Sqrt(headDim));
            return new Linear(Graph, Child("out_proj"), hidden, hidden).Forward(attended);
        }
    }
}
