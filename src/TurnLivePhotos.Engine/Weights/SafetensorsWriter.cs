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
        WriteLayout(path, list.Select(e => (e.Name, e.Type, e.Shape)).ToList(), metadata, (index, stream) => stream.Write(list[index].Data));
    }

    /// <summary>
    /// A checkpoint of random weights (N(0, 0.02²)) with the given names and shapes, written piece by piece so a
    /// multi-gigabyte file never sits in memory. For benchmarks and tests of full-size layouts.
    /// </summary>
    public static void WriteSynthetic(string path, IReadOnlyList<(string Name, WeightType Type, long[] Shape)> layout, int seed)
    {
        var random = new Random(seed);
        var floats = new float[1 << 16];
        var halves = new Half[floats.Length];
        WriteLayout(path, layout, metadata: null, (index, stream) =>
        {
            var (_, type, shape) = layout[index];
            var remaining = shape.Aggregate(1L, (a, b) => a * b);
            while (remaining > 0)
            {
                var count = (int)Math.Min(remaining, floats.Length);
                for (var i = 0; i < count; i++)
                {
                    floats[i] = (float)((random.NextDouble() + random.NextDouble() + random.NextDouble() - 1.5) * 0.04);
                }

                if (type == WeightType.Float32)
                {
                    stream.Write(MemoryMarshal.AsBytes(floats.AsSpan(0, count)));
                }
                else
                {
                    System.Numerics.Tensors.TensorPrimitives.ConvertToHalf(floats.AsSpan(0, count), halves.AsSpan(0, count));
                    stream.Write(MemoryMarshal.AsBytes(halves.AsSpan(0, count)));
                }

                remaining -= count;
            }
        });
    }

    /// <summary>A checkpoint whose tensors are all zeros, written as a sparse file: real names and shapes, no disk or time spent.</summary>
    public static void WriteZeros(string path, IReadOnlyList<(string Name, WeightType Type, long[] Shape)> layout)
    {
        var total = layout.Sum(t => t.Shape.Aggregate(1L, (a, b) => a * b) * WeightTensor.ElementSize(t.Type));
        WriteLayout(path, layout, metadata: null, writeData: null, zeroBytes: total);
    }

    private static void WriteLayout(
        string path,
        IReadOnlyList<(string Name, WeightType Type, long[] Shape)> layout,
        IReadOnlyDictionary<string, string>? metadata,
        Action<int, Stream>? writeData,
        long zeroBytes = 0)
    {
        var header = new Dictionary<string, object>();
        if (metadata is not null)
        {
            header["__metadata__"] = metadata;
        }

        long offset = 0;
        foreach (var (name, type, shape) in layout)
        {
            var length = shape.Aggregate(1L, (a, b) => a * b) * WeightTensor.ElementSize(type);
            header[name] = new Dictionary<string, object>
            {
                ["dtype"] = type switch { WeightType.Float32 => "F32", WeightType.Float16 => "F16", _ => "BF16" },
                ["shape"] = shape,
                ["data_offsets"] = new[] { offset, offset + length },
            };
            offset += length;
        }

        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        var padded = (json.Length + 7) / 8 * 8;
        TurnLivePhotos.Media.AtomicFile.Write(path, stream =>
        {
            stream.Write(BitConverter.GetBytes((long)padded));
            stream.Write(json);
            stream.Write(Enumerable.Repeat((byte)' ', padded - json.Length).ToArray());
            if (writeData is null)
            {
                stream.SetLength(stream.Position + zeroBytes);
                return;
            }

            for (var i = 0; i < layout.Count; i++)
            {
                writeData(i, stream);
            }
        });
    }
}
