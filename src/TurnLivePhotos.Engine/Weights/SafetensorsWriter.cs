using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace TurnLivePhotos.Engine.Weights;

/// <summary>Writes .safetensors files (used to convert checkpoints and to make test and benchmark models).</summary>
public static class SafetensorsWriter
{
    public sealed record Entry(string Name, WeightType Type, long[] Shape, byte[] Data);

    public static Entry Float32(string name, float[] values, params long[] shape) =>
        new(name, WeightType.Float32, shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    public static Entry Float16(string name, float[] values, params long[] shape)
    {
        var halves = new Half[values.Length];
        System.Numerics.Tensors.TensorPrimitives.ConvertToHalf(values, halves);
        return new Entry(name, WeightType.Float16, shape, MemoryMarshal.AsBytes(halves.AsSpan()).ToArray());
    }

    public static void Write(string path, IEnumerable<Entry> entries, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = entries.ToList();
        var header = new Dictionary<string, object>();
        if (metadata is not null)
        {
            header["__metadata__"] = metadata;
        }

        long offset = 0;
        foreach (var entry in list)
        {
            header[entry.Name] = new Dictionary<string, object>
            {
                ["dtype"] = entry.Type switch { WeightType.Float32 => "F32", WeightType.Float16 => "F16", _ => "BF16" },
                ["shape"] = entry.Shape,
                ["data_offsets"] = new[] { offset, offset + entry.Data.Length },
            };
            offset += entry.Data.Length;
        }

        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        var padded = (json.Length + 7) / 8 * 8;
        TurnLivePhotos.Media.AtomicFile.Write(path, stream =>
        {
            stream.Write(BitConverter.GetBytes((long)padded));
            stream.Write(json);
            stream.Write(Enumerable.Repeat((byte)' ', padded - json.Length).ToArray());
            foreach (var entry in list)
            {
                stream.Write(entry.Data);
            }
        });
    }
}
