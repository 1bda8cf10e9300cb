using System.Text.Json;
using TurnLivePhotos.Engine.Weights;

namespace TurnLivePhotos.Engine.Depth;

/// <summary>How the depth head ends: relative (ReLU, affine-invariant inverse depth) or metric (sigmoid × max_depth).</summary>
public enum DepthEstimationType
{
    Relative,
    Metric,
}

/// <summary>transformers' Dinov2Config: the fields the DINOv2 backbone of Depth Anything uses, with the library's defaults.</summary>
public sealed record Dinov2Config(
    int HiddenSize,
    int Layers,
    int Heads,
    float MlpRatio,
    string HiddenAct,
    float LayerNormEps,
    int ImageSize,
    int PatchSize,
    int NumChannels,
    bool QkvBias,
    bool ApplyLayerNorm,
    IReadOnlyList<int> OutIndices)
{
    public int HeadDim => HiddenSize / Heads;

    public int MlpHidden => (int)(HiddenSize * MlpRatio);
}

/// <summary>
/// transformers' DepthAnythingConfig (Depth Anything V1/V2, class DepthAnythingForDepthEstimation) read the way
/// transformers reads config.json: every key may be absent and then takes the library's default (the hub file of
/// Depth-Anything-V2-Small-hf, written by save_pretrained, lists only values that differ from them). A value of the
/// wrong type, or a feature this graph does not build (SwiGLU MLP, register tokens, another backbone, a timm
/// backbone by name), is one <see cref="WeightFileException"/> naming the key, the value and the file.
/// </summary>
public sealed record DepthAnythingConfig(
    Dinov2Config Backbone,
    int PatchSize,
    int ReassembleHiddenSize,
    IReadOnlyList<double> ReassembleFactors,
    IReadOnlyList<int> NeckHiddenSizes,
    int FusionHiddenSize,
    int HeadInIndex,
    int HeadHiddenSize,
    DepthEstimationType DepthEstimationType,
    float MaxDepth)
{
    public static DepthAnythingConfig Load(string path)
    {
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(path));
            return Parse(json.RootElement, path);
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            throw new WeightFileException($"{path}: not a readable config ({ex.Message.Split('\n')[0]})", ex);
        }
    }

    public static DepthAnythingConfig Parse(JsonElement root, string source)
    {
        var top = new Reader(root, source, string.Empty);
        var modelType = top.Text("model_type", "depth_anything");
        if (modelType != "depth_anything")
        {
            throw top.Unsupported("model_type", modelType, "only depth_anything (DepthAnythingForDepthEstimation) is built");
        }

        if (top.Bool("use_pretrained_backbone", false) || top.IsSet("backbone"))
        {
            throw top.Unsupported("backbone", top.Raw("backbone"), "a backbone loaded by name is not supported; the DINOv2 backbone must be described by backbone_config");
        }

        var backbone = ReadBackbone(top.Section("backbone_config"), source);
        var type = top.Text("depth_estimation_type", "relative") switch
        {
            "relative" => DepthEstimationType.Relative,
            "metric" => DepthEstimationType.Metric,
            var other => throw top.Unsupported("depth_estimation_type", other, "expected relative or metric"),
        };

        var config = new DepthAnythingConfig(
            backbone,
            top.Int("patch_size", 14),
            top.Int("reassemble_hidden_size", 384),
            top.Numbers("reassemble_factors", [4, 2, 1, 0.5]),
            top.Ints("neck_hidden_sizes", [96, 192, 384, 768]),
            top.Int("fusion_hidden_size", 64),
            top.Int("head_in_index", -1),
            top.Int("head_hidden_size", 32),
            type,
            top.IsSet("max_depth") ? (float)top.Number("max_depth", 1) : 1f);

        if (config.NeckHiddenSizes.Count != config.ReassembleFactors.Count || config.NeckHiddenSizes.Count != backbone.OutIndices.Count)
        {
            throw top.Unsupported("neck_hidden_sizes", top.Raw("neck_hidden_sizes"),
                $"needs one entry per reassemble factor ({config.ReassembleFactors.Count}) and per backbone out index ({backbone.OutIndices.Count})");
        }

        foreach (var factor in config.ReassembleFactors)
        {
            if (!(factor >= 1 ? factor == Math.Floor(factor) : 1 / factor == Math.Floor(1 / factor)) || factor <= 0)
            {
                throw top.Unsupported("reassemble_factors", top.Raw("reassemble_factors"), "each factor must be a whole number or the inverse of one");
            }
        }

        if (config.HeadInIndex < -config.NeckHiddenSizes.Count || config.HeadInIndex >= config.NeckHiddenSizes.Count)
        {
            throw top.Unsupported("head_in_index", config.HeadInIndex.ToString(System.Globalization.CultureInfo.InvariantCulture), "out of range of the fusion stages");
        }

        return config;
    }

    private static Dinov2Config ReadBackbone(JsonElement? section, string source)
    {
        if (section is null)
        {
            // DepthAnythingConfig's own default when backbone_config is absent.
            return new Dinov2Config(384, 12, 6, 4, "gelu", 1e-6f, 518, 14, 3, true, true, [9, 10, 11, 12]);
        }

        var b = new Reader(section.Value, source, "backbone_config.");
        var modelType = b.Text("model_type", "dinov2");
        if (modelType != "dinov2")
        {
            throw b.Unsupported("model_type", modelType, "only a dinov2 backbone is built (no registers, no other families)");
        }

        if (b.Bool("use_swiglu_ffn", false))
        {
            throw b.Unsupported("use_swiglu_ffn", "true", "the SwiGLU MLP (DINOv2 giant) is not built");
        }

        var layers = b.Int("num_hidden_layers", 12);
        var act = b.Text("hidden_act", "gelu");
        if (act is not ("gelu" or "relu" or "quick_gelu"))
        {
            throw b.Unsupported("hidden_act", act, "expected gelu, relu or quick_gelu");
        }

        var stages = new[] { "stem" }.Concat(Enumerable.Range(1, layers).Select(i => $"stage{i}")).ToList();
        IReadOnlyList<int> outIndices;
        if (b.IsSet("out_indices"))
        {
            outIndices = b.Ints("out_indices", []);
        }
        else if (b.IsSet("out_features"))
        {
            outIndices = b.Texts("out_features").Select(name =>
                stages.IndexOf(name) is var i and >= 0 ? i : throw b.Unsupported("out_features", name, $"not a stage of a {layers}-layer backbone")).ToList();
        }
        else
        {
            outIndices = [layers];
        }

        if (outIndices.Any(i => i < 0 || i > layers))
        {
            throw b.Unsupported("out_indices", string.Join(",", outIndices), $"each index must lie in 0..{layers}");
        }

        var hidden = b.Int("hidden_size", 768);
        var heads = b.Int("num_attention_heads", 12);
        if (heads <= 0 || hidden % heads != 0)
        {
            throw b.Unsupported("num_attention_heads", heads.ToString(System.Globalization.CultureInfo.InvariantCulture), $"must divide hidden_size {hidden}");
        }

        return new Dinov2Config(
            hidden,
            layers,
            heads,
            (float)b.Number("mlp_ratio", 4),
            act,
            (float)b.Number("layer_norm_eps", 1e-6),
            b.Int("image_size", 224),
            b.Int("patch_size", 14),
            b.Int("num_channels", 3),
            b.Bool("qkv_bias", true),
            b.Bool("apply_layernorm", true),
            outIndices);
    }

    /// <summary>Typed reads of one JSON object; a present key of the wrong type is an error, an absent (or null) one the default.</summary>
    private sealed class Reader(JsonElement root, string source, string path)
    {
        public bool IsSet(string key) => root.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null;

        public string Raw(string key) => root.TryGetProperty(key, out var v) ? v.GetRawText() : "(absent)";

        public JsonElement? Section(string key) =>
            !IsSet(key) ? null : root.GetProperty(key).ValueKind == JsonValueKind.Object ? root.GetProperty(key) : throw Wrong(key, "an object");

        public int Int(string key, int fallback) =>
            !IsSet(key) ? fallback : IsInt(root.GetProperty(key), out var v) ? v : throw Wrong(key, "an integer");

        public double Number(string key, double fallback) =>
            !IsSet(key) ? fallback : root.GetProperty(key).ValueKind == JsonValueKind.Number ? root.GetProperty(key).GetDouble() : throw Wrong(key, "a number");

        public bool Bool(string key, bool fallback) =>
            !IsSet(key) ? fallback : root.GetProperty(key).ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw Wrong(key, "true or false"),
            };

        public string Text(string key, string fallback) =>
            !IsSet(key) ? fallback : root.GetProperty(key).ValueKind == JsonValueKind.String ? root.GetProperty(key).GetString()! : throw Wrong(key, "a string");

        public IReadOnlyList<int> Ints(string key, int[] fallback) =>
            !IsSet(key) ? fallback : Array(key).Select(e => IsInt(e, out var v) ? v : throw Wrong(key, "a list of integers")).ToList();

        public IReadOnlyList<double> Numbers(string key, double[] fallback) =>
            !IsSet(key) ? fallback : Array(key).Select(e => e.ValueKind == JsonValueKind.Number ? e.GetDouble() : throw Wrong(key, "a list of numbers")).ToList();

        public IReadOnlyList<string> Texts(string key) =>
            Array(key).Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : throw Wrong(key, "a list of strings")).ToList();

        private static bool IsInt(JsonElement e, out int value)
        {
            value = 0;
            return e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out value);
        }

        public WeightFileException Unsupported(string key, string value, string why) =>
            new($"{source}: {path}{key} = {value} is not supported: {why}");

        private IEnumerable<JsonElement> Array(string key) =>
            root.GetProperty(key).ValueKind == JsonValueKind.Array ? root.GetProperty(key).EnumerateArray().ToList() : throw Wrong(key, "a list");

        private WeightFileException Wrong(string key, string expected) =>
            new($"{source}: {path}{key} = {Raw(key)} should be {expected}");
    }
}
