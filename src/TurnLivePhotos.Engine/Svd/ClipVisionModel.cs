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
    public sealed record Config(int ImageSize, int PatchSize, int HiddenSize, int Heads, int Layers, float LayerNormEps, string HiddenAct)
    {
        public static Config From(ModelConfig json) => new(
            json.Int("image_size", 224),
            json.Int("patch_size", 32),
            json.Int("hidden_size", 768),
            json.Int("num_attention_heads", 12),
            json.Int("num_hidden_layers", 12),
            json.Float("layer_norm_eps", 1e-5f),
            json.Text("hidden_act", "quick_gelu"));
    }

    public static OnnxModel Build(Checkpoint weights, Config config, Precision precision = Precision.Float32, AttentionKernel attention = AttentionKernel.Fused)
    {
        var g = new GraphBuilder(weights, precision, attention);
        var pixels = g.Input("pixel_values", null, 3, config.ImageSize, config.ImageSize);

        var x = new Embeddings(g, "vision_model.embeddings", config).Forward(pixels);
        x = new LayerNorm(g, "vision_model.pre_layrnorm", config.LayerNormEps).Forward(x);
        for (var i = 0; i < config.Layers; i++)
        {
            x = new EncoderLayer(g, $"vision_model.encoder.layers.{i}", config).Forward(x);
        }

        var classToken = g.Op("Gather", [x, g.Constant([0L])], [Attr.Int("axis", 1)]);
        var pooled = new LayerNorm(g, "vision_model.post_layernorm", config.LayerNormEps).Forward(g.Reshape(classToken, 0, -1));
        g.Output(new Linear(g, "visual_projection").Forward(pooled), "image_embeds");
        g.Output(x, "last_hidden_state");
        return g.Build("clip_vision");
    }

    /// <summary>Class token, then one token per patch, plus learned position embeddings.</summary>
    private sealed class Embeddings(GraphBuilder g, string prefix, Config config) : Layer(g, prefix)
    {
        public Value Forward(Value pixels)
        {
            var patches = new Conv(Graph, Child("patch_embedding"), [0, 0, 0, 0], config.PatchSize).Forward(pixels);
            var tokens = Graph.Transpose(Graph.Reshape(patches, 0, config.HiddenSize, -1), 0, 2, 1);
            var batchShape = Graph.Concat(0, Graph.ShapeSlice(pixels, 0, 1), Graph.Ints(1, config.HiddenSize));
            var classToken = Graph.Op("Expand", [Graph.Reshape(Weight("class_embedding"), 1, 1, -1), batchShape], []);
            var sequence = Graph.Concat(1, classToken, tokens);
            return Graph.Add(sequence, Weight("position_embedding.weight"));
        }
    }

    /// <summary>Pre-norm transformer layer: x + attn(ln1(x)), then x + mlp(ln2(x)).</summary>
    private sealed class EncoderLayer(GraphBuilder g, string prefix, Config config) : Layer(g, prefix)
    {
        public Value Forward(Value x)
        {
            var attended = new SelfAttention(Graph, Child("self_attn"), config).Forward(new LayerNorm(Graph, Child("layer_norm1"), config.LayerNormEps).Forward(x));
            x = Graph.Add(x, attended);
            var normed = new LayerNorm(Graph, Child("layer_norm2"), config.LayerNormEps).Forward(x);
            var hidden = new Linear(Graph, Child("mlp.fc1")).Forward(normed);
            hidden = config.HiddenAct == "quick_gelu" ? Graph.QuickGelu(hidden) : Graph.Gelu(hidden);
            return Graph.Add(x, new Linear(Graph, Child("mlp.fc2")).Forward(hidden));
        }
    }

    private sealed class SelfAttention(GraphBuilder g, string prefix, Config config) : Layer(g, prefix)
    {
        public Value Forward(Value x)
        {
            var headDim = config.HiddenSize / config.Heads;
            var q = new Linear(Graph, Child("q_proj")).Forward(x);
            var k = new Linear(Graph, Child("k_proj")).Forward(x);
            var v = new Linear(Graph, Child("v_proj")).Forward(x);
            var attended = Graph.MultiHeadAttention(q, k, v, config.Heads, 1f / MathF.Sqrt(headDim));
            return new Linear(Graph, Child("out_proj")).Forward(attended);
        }
    }
}
