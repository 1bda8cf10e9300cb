using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace TurnLivePhotos.Engine.Weights;

/// <summary>
/// The named weights of one network: a single .safetensors file, or a sharded checkpoint described by a
/// <c>*.safetensors.index.json</c> (its <c>weight_map</c> names the shard of every tensor).
/// </summary>
public sealed class Checkpoint : IWeightSource, IDisposable
{
    private readonly List<SafetensorsFile> files;
    private readonly Dictionary<string, WeightTensor> tensors;

    private Checkpoint(string path, List<SafetensorsFile> files, Dictionary<string, WeightTensor> tensors)
    {
        Path = path;
        this.files = files;
        this.tensors = tensors;
    }

    public string Path { get; }

    public IReadOnlyDictionary<string, WeightTensor> Tensors => tensors;

    public long TotalBytes => files.Sum(file => file.Length);

    public static Checkpoint Open(string path)
    {
        if (path.EndsWith(".index.json", StringComparison.OrdinalIgnoreCase))
        {
            return OpenSharded(System.IO.Path.GetFullPath(path));
        }

        var file = SafetensorsFile.Open(path);
        return new Checkpoint(file.Path, [file], new Dictionary<string, WeightTensor>(file.Tensors));
    }

    public bool Contains(string name) => tensors.ContainsKey(name);

    public WeightTensor this[string name] =>
        tensors.TryGetValue(name, out var tensor) ? tensor : throw new WeightFileException($"{Path}: missing weight '{name}'");

    /// <summary>The stored tensor for a weight a builder declares; its shape must be the declared one.</summary>
    public WeightTensor Bind(string name, long[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var tensor = this[name];
        return tensor.Shape.SequenceEqual(shape)
            ? tensor
            : throw new WeightFileException($"{Path}: weight '{name}' has shape [{string.Join(", ", tensor.Shape)}], the config gives [{string.Join(", ", shape)}]");
    }

    WeightTensor? IWeightSource.Bind(string name, long[] shape) => Bind(name, shape);

    /// <summary>A float32 copy of a weight (fp16 and bf16 are widened); for the few weights the host needs itself.</summary>
    public float[] ReadFloat32(string name)
    {
        var tensor = this[name];
        var values = new float[tensor.ElementCount];
        tensor.ReadFloat32(values);
        return values;
    }

    public void Dispose()
    {
        foreach (var file in files)
        {
            file.Dispose();
        }
    }

    private static Checkpoint OpenSharded(string indexPath)
    {
        Dictionary<string, string> weightMap;
        try
        {
            using var index = JsonDocument.Parse(File.ReadAllBytes(indexPath));
            weightMap = index.RootElement.GetProperty("weight_map").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? string.Empty);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or IOException)
        {
            throw new WeightFileException($"{indexPath}: not a readable safetensors index ({ex.Message})", ex);
        }

        var folder = System.IO.Path.GetDirectoryName(indexPath)!;
        var files = new List<SafetensorsFile>();
        try
        {
            var shards = new Dictionary<string, SafetensorsFile>();
            var tensors = new Dictionary<string, WeightTensor>();
            foreach (var (name, shardName) in weightMap)
            {
                if (shardName.Length == 0 || System.IO.Path.GetFileName(shardName) != shardName)
                {
                    throw new WeightFileException($"{indexPath}: tensor '{name}' names an invalid shard '{shardName}'");
                }

                if (!shards.TryGetValue(shardName, out var shard))
                {
                    shard = SafetensorsFile.Open(System.IO.Path.Combine(folder, shardName));
                    shards[shardName] = shard;
                    files.Add(shard);
                }

                tensors[name] = shard.Tensors.TryGetValue(name, out var tensor)
                    ? tensor
                    : throw new WeightFileException($"{shard.Path}: tensor '{name}' is listed in the index but not in the shard");
            }

            return new Checkpoint(indexPath, files, tensors);
        }
        catch
        {
            files.ForEach(file => file.Dispose());
            throw;
        }
    }
}
