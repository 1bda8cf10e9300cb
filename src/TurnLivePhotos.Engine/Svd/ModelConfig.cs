using System.Text.Json;
using TurnLivePhotos.Engine.Weights;

namespace TurnLivePhotos.Engine.Svd;

/// <summary>
/// Reads a Hugging Face config.json. A key a newer save_pretrained left out falls back to the library's default;
/// a key that is present is read exactly as the library reads it or refused — never replaced by a default because
/// its value has a shape we did not expect. Errors are one line naming the file, the key and the value
/// (<see cref="WeightFileException"/>: a config is one of the model's files).
/// </summary>
public sealed class ModelConfig
{
    private readonly JsonElement root;

    private ModelConfig(string path, JsonElement root)
    {
        Path = path;
        this.root = root;
    }

    public string Path { get; }

    public static ModelConfig Load(string path)
    {
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(path));
            return Checked(path, json.RootElement.Clone());
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            throw new WeightFileException($"{path}: not a readable config ({ex.Message})", ex);
        }
    }

    public static ModelConfig Parse(string json, string name)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return Checked(name, document.RootElement.Clone());
        }
        catch (JsonException ex)
        {
            throw new WeightFileException($"{name}: not a readable config ({ex.Message})", ex);
        }
    }

    public bool Has(string key) => root.TryGetProperty(key, out _);

    public int Int(string key, int fallback) =>
        TryGet(key, out var v) ? AsInt(key, v, v) : fallback;

    public float Float(string key, float fallback) =>
        TryGet(key, out var v) ? v.ValueKind == JsonValueKind.Number ? (float)v.GetDouble() : throw Invalid(key, v, "a number") : fallback;

    public string Text(string key, string fallback) =>
        TryGet(key, out var v) ? v.ValueKind == JsonValueKind.String ? v.GetString()! : throw Invalid(key, v, "a string") : fallback;

    public int[] Ints(string key, int[] fallback) =>
        TryGet(key, out var v) ? v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().Select(e => AsInt(key, e, v)).ToArray() : throw Invalid(key, v, "a list of integers") : fallback;

    public string[] Texts(string key, string[] fallback) =>
        TryGet(key, out var v)
            ? v.ValueKind == JsonValueKind.Array
                ? v.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : throw Invalid(key, v, "a list of strings")).ToArray()
                : throw Invalid(key, v, "a list of strings")
            : fallback;

    /// <summary>
    /// A value diffusers takes as an int or one int per block (<c>layers_per_block</c>, <c>num_attention_heads</c>,
    /// <c>cross_attention_dim</c>): an int is repeated for every block; a list must have one entry per block.
    /// </summary>
    /// <param name="blocks">How many blocks there are.</param>
    /// <param name="blocksKey">The key that says so (named in the error, as diffusers does).</param>
    public int[] IntPerBlock(string key, int[] fallback, int blocks, string blocksKey)
    {
        if (!TryGet(key, out var v))
        {
            return fallback.Length == 1 ? Enumerable.Repeat(fallback[0], blocks).ToArray() : CheckCount(key, fallback, blocks, blocksKey);
        }

        return v.ValueKind == JsonValueKind.Number
            ? Enumerable.Repeat(AsInt(key, v, v), blocks).ToArray()
            : v.ValueKind == JsonValueKind.Array
                ? CheckCount(key, v.EnumerateArray().Select(e => AsInt(key, e, v)).ToArray(), blocks, blocksKey)
                : throw Invalid(key, v, "an integer or a list of integers");
    }

    /// <summary>
    /// <c>transformer_layers_per_block</c>-style values: an int (every layer of every block), one int per block, or
    /// per block a list with one int per layer. Returns, per block, null for "the same count for every layer" forms
    /// (with the count) or the per-layer list.
    /// </summary>
    public (int Count, int[]? PerLayer)[] DepthPerBlock(string key, int fallback, int blocks, string blocksKey)
    {
        if (!TryGet(key, out var v))
        {
            return Enumerable.Repeat((fallback, (int[]?)null), blocks).ToArray();
        }

        if (v.ValueKind == JsonValueKind.Number)
        {
            return Enumerable.Repeat((AsInt(key, v, v), (int[]?)null), blocks).ToArray();
        }

        if (v.ValueKind != JsonValueKind.Array)
        {
            throw Invalid(key, v, "an integer, a list of integers or a list of lists of integers");
        }

        var perBlock = v.EnumerateArray().Select(e => e.ValueKind switch
        {
            JsonValueKind.Number => (AsInt(key, e, v), (int[]?)null),
            JsonValueKind.Array => (0, e.EnumerateArray().Select(inner => AsInt(key, inner, v)).ToArray()),
            _ => throw Invalid(key, v, "an integer, a list of integers or a list of lists of integers"),
        }).ToArray();
        return CheckCount(key, perBlock, blocks, blocksKey);
    }

    /// <summary>An error about a key whose value does not fit the rest of the config.</summary>
    public WeightFileException Error(string key, string problem) =>
        new($"{Path}: {key} = {Raw(key)}: {problem}");

    private static ModelConfig Checked(string path, JsonElement root) =>
        root.ValueKind == JsonValueKind.Object ? new ModelConfig(path, root) : throw new WeightFileException($"{path}: not a readable config (a JSON object was expected)");

    // JSON null is what save_pretrained writes for "not set": the library's default applies.
    private bool TryGet(string key, out JsonElement value) =>
        root.TryGetProperty(key, out value) && value.ValueKind != JsonValueKind.Null;

    private string Raw(string key) => root.TryGetProperty(key, out var v) ? v.GetRawText() : "(not set)";

    private int AsInt(string key, JsonElement element, JsonElement whole) =>
        element.ValueKind == JsonValueKind.Number && element.TryGetInt32(out var value) ? value : throw Invalid(key, whole, "an integer");

    private T[] CheckCount<T>(string key, T[] values, int blocks, string blocksKey) =>
        values.Length == blocks
            ? values
            : throw new WeightFileException($"{Path}: {key} = {Raw(key)}: must provide the same number of `{key}` as `{blocksKey}` ({blocks})");

    private WeightFileException Invalid(string key, JsonElement value, string expected) =>
        new($"{Path}: {key} = {value.GetRawText()}: expected {expected}");
}
