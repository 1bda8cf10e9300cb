using System.Runtime.InteropServices;
using TurnLivePhotos.Engine.Weights;

namespace TurnLivePhotos.Engine.Onnx;

/// <summary>
/// The float32 form of a graph whose weights are stored narrower (fp16/bf16) but computed in float32 (the CPU):
/// its protobuf names float32 initializers in one data file, <see cref="FileName"/>, instead of fp16 initializers
/// followed by a Cast, and <see cref="Write"/> makes that file tensor by tensor from the mapped weight files.
/// </summary>
/// <remarks>
/// Why: given the Cast form, ONNX Runtime constant-folds every Cast into a float32 copy on its heap while the fp16
/// file stays mapped and read, then pre-packs the MatMul weights into further heap copies, so a cold start peaks at
/// several times the weights' size (figures in docs/benchmarks.md). Widened here, one tensor at a time (never more
/// than one tensor's float32 values in managed memory), the runtime maps float32 weights from a file and has
/// nothing to fold. It is used where the widened file has a home — the graph cache, whose optimized entry then
/// holds every weight, so the file is deleted once the entry is saved. Without a cache the Cast form is used (it
/// needs no disk). Tensors are placed at 4096-byte offsets so each can be mapped on its own.
/// </remarks>
public sealed record WidenedWeights(byte[] Proto, string FileName, IReadOnlyList<WidenedTensor> Tensors)
{
    private const int Alignment = 4096;

    /// <summary>Where each of a graph's weights goes in the widened file, in binding order.</summary>
    public static IReadOnlyList<WidenedTensor> Layout(IEnumerable<WeightTensor> tensors)
    {
        var layout = new List<WidenedTensor>();
        var offset = 0L;
        foreach (var tensor in tensors)
        {
            layout.Add(new WidenedTensor(tensor, offset));
            offset += (tensor.ElementCount * sizeof(float) + Alignment - 1) / Alignment * Alignment;
        }

        return layout;
    }

    /// <summary>Writes <see cref="FileName"/> into <paramref name="folder"/>: every weight as float32 at its offset.</summary>
    /// <remarks>
    /// The stored bytes are read with plain file reads, not through the weight files' mappings: read through a
    /// mapping, the whole fp16 file would stay in this process's resident set while ONNX Runtime loads the
    /// float32 copy; read from the file they only pass through the page cache.
    /// </remarks>
    public void Write(string folder)
    {
        using var stream = new FileStream(Path.Combine(folder, FileName), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
        var sources = new Dictionary<string, Microsoft.Win32.SafeHandles.SafeFileHandle>(StringComparer.Ordinal);
        try
        {
            var stored = Array.Empty<byte>();
            var widened = Array.Empty<float>();
            foreach (var (tensor, offset) in Tensors)
            {
                if (!sources.TryGetValue(tensor.File.Path, out var source))
                {
                    source = File.OpenHandle(tensor.File.Path);
                    sources[tensor.File.Path] = source;
                }

                var bytes = checked((int)tensor.ByteLength);
                var count = checked((int)tensor.ElementCount);
                if (stored.Length < bytes)
                {
                    stored = new byte[bytes];
                }

                if (widened.Length < count)
                {
                    widened = new float[count];
                }

                var read = 0;
                while (read < bytes)
                {
                    var got = RandomAccess.Read(source, stored.AsSpan(read, bytes - read), tensor.Offset + read);
                    read += got > 0 ? got : throw new WeightFileException($"{tensor.File.Path}: ends inside weight '{tensor.Name}'");
                }

                WeightTensor.Widen(stored.AsSpan(0, bytes), tensor.Type, widened.AsSpan(0, count));
                stream.Position = offset;
                stream.Write(MemoryMarshal.AsBytes(widened.AsSpan(0, count)));
            }
        }
        finally
        {
            foreach (var source in sources.Values)
            {
                source.Dispose();
            }
        }
    }
}

/// <summary>One weight of a <see cref="WidenedWeights"/> file: the stored tensor and its float32 copy's offset.</summary>
public sealed record WidenedTensor(WeightTensor Tensor, long Offset)
{
    public long ByteLength => Tensor.ElementCount * sizeof(float);
}
