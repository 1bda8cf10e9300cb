using System.Text.Json;

namespace TurnLivePhotos.Engine.Svd;

/// <summary>Reads a Hugging Face config.json; keys a newer save_pretrained left out fall back to the library defaults.</summary>
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
            return new ModelConfig(path, json.RootElement.Clone());
        }
        catch (Exception ex) when (ex is JsonException or IOException)
        {
            throw new Weights.WeightFileException($"{path}: not a readable config ({ex.Message})", ex);
        }
    }

    public static ModelConfig Parse(string json, string name)
    {
        using var document = JsonDocument.Parse(json);
        return new ModelConfig(name, document.RootElement.Clone());
    }

    public int Int(string key, int fallback) =>
        root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : fallback;

    public float Float(string key, float fallback) =>
        root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? (float)v.GetDouble() : fallback;

    public string Text(string key, string fallback) =>
        root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : fallback;

    public int[] Ints(string key, int[] fallback) =>
        root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().Select(e => e.GetInt32()).ToArray() : fallback;

    public string[] Texts(string key, string[] fallback) =>
        root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().Select(e => e.GetString()!).ToArray() : fallback;
}
