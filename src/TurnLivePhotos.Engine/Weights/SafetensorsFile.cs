using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace TurnLivePhotos.Engine.Weights;

/// <summary>A weight file that cannot be used; the message names the file and, where it applies, the tensor.</summary>
public sealed class WeightFileException(string message, Exception? inner = null) : Exception(message, inner);

public enum WeightType
{
    Float32,
    Float16,
    BFloat16,
}

/// <summary>Where one tensor's bytes live inside a mapped weight file.</summary>
public sealed record WeightTensor(string Name, WeightType Type, long[] Shape, long Offset, long ByteLength, SafetensorsFile File)
{
    /// <summary>
    /// The bytes hold the transpose of <see cref="Shape"/> (a 2-D weight another library stores the other way round);
    /// the graph transposes it back, so nothing is converted on disk.
    /// </summary>
    public bool StoredTransposed { get; init; }

    public long ElementCount => Shape.Aggregate(1L, (product, dim) => product * dim);

    public static int ElementSize(WeightType type) => type == WeightType.Float32 ? 4 : 2;

    /// <summary>The values as float32 (fp16 and bf16 widened exactly) into <paramref name="destination"/>, in stored order.</summary>
    public void ReadFloat32(Span<float> destination) => Widen(File.Bytes(this), Type, destination);

    /// <summary>Stored bytes of <paramref name="type"/> as float32 (fp16 and bf16 widened exactly).</summary>
    public static void Widen(ReadOnlySpan<byte> bytes, WeightType type, Span<float> destination)
    {
        switch (type)
        {
            case WeightType.Float32:
                MemoryMarshal.Cast<byte, float>(bytes).CopyTo(destination);
                break;
            case WeightType.Float16:
                TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(bytes), destination);
                break;
            default:
                var raw = MemoryMarshal.Cast<byte, ushort>(bytes);
                for (var i = 0; i < raw.Length; i++)
                {
                    destination[i] = BitConverter.Int32BitsToSingle(raw[i] << 16);
                }

                break;
        }
    }
}

/// <summary>
/// A .safetensors file, memory-mapped read-only: opening it reads only the JSON header; tensor data stays in the
/// page cache and is handed out as views (no copies). Every offset in the header is checked against the file
/// before anything reads it.
/// </summary>
public sealed unsafe class SafetensorsFile : IDisposable
{
    private const long MaxHeaderLength = 100L * 1024 * 1024;

    private readonly MemoryMappedFile map;
    private readonly MemoryMappedViewAccessor view;
    private readonly byte* basePointer;
    private readonly Dictionary<string, WeightTensor> tensors;

    private SafetensorsFile(string path, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* basePointer, long length)
    {
        Path = path;
        this.map = map;
        this.view = view;
        this.basePointer = basePointer;
        Length = length;
        tensors = [];
    }

    public string Path { get; }

    public long Length { get; }

    public IReadOnlyDictionary<string, string> Metadata { get; private set; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, WeightTensor> Tensors => tensors;

    public static SafetensorsFile Open(string path)
    {
        // A Hugging Face cache snapshot links each file to a blob: map the blob itself (its real length, and the
        // folder ONNX Runtime reads external data from).
        var fullPath = System.IO.Path.GetFullPath(path);
        if (File.Exists(fullPath) && File.ResolveLinkTarget(fullPath, returnFinalTarget: true) is { } target)
        {
            fullPath = target.FullName;
        }

        var length = new FileInfo(fullPath) is { Exists: true } info ? info.Length : throw new WeightFileException($"{fullPath}: file not found");
        if (length < 8)
        {
            throw new WeightFileException($"{fullPath}: too short to be a safetensors file ({length} bytes)");
        }

        var map = MemoryMappedFile.CreateFromFile(fullPath, FileMode.Open, mapName: null, 0, MemoryMappedFileAccess.Read);
        MemoryMappedViewAccessor? view = null;
        try
        {
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            var file = new SafetensorsFile(fullPath, map, view, pointer + view.PointerOffset, length);
            file.ReadHeader();
            return file;
        }
        catch
        {
            view?.Dispose();
            map.Dispose();
            throw;
        }
    }

    public WeightTensor this[string name] =>
        tensors.TryGetValue(name, out var tensor) ? tensor : throw new WeightFileException($"{Path}: no tensor named '{name}'");

    /// <summary>The tensor's bytes, straight from the mapping.</summary>
    public ReadOnlySpan<byte> Bytes(WeightTensor tensor) => new(basePointer + tensor.Offset, checked((int)tensor.ByteLength));

    /// <summary>The address of the tensor's first byte; valid while this file is open.</summary>
    public IntPtr Address(WeightTensor tensor) => (IntPtr)(basePointer + tensor.Offset);

    public void Dispose()
    {
        view.SafeMemoryMappedViewHandle.ReleasePointer();
        view.Dispose();
        map.Dispose();
    }

    private void ReadHeader()
    {
        var headerLength = BinaryPrimitives.ReadInt64LittleEndian(new ReadOnlySpan<byte>(basePointer, 8));
        if (headerLength <= 0 || headerLength > MaxHeaderLength || headerLength > Length - 8)
        {
            throw new WeightFileException($"{Path}: header length {headerLength} does not fit in a file of {Length} bytes");
        }

        var dataStart = 8 + headerLength;
        var dataLength = Length - dataStart;
        JsonDocument header;
        try
        {
            header = JsonDocument.Parse(new ReadOnlyMemory<byte>(new ReadOnlySpan<byte>(basePointer + 8, (int)headerLength).ToArray()));
        }
        catch (JsonException ex)
        {
            throw new WeightFileException($"{Path}: header is not valid JSON ({ex.Message})", ex);
        }

        using (header)
        {
            if (header.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new WeightFileException($"{Path}: header is not a JSON object");
            }

            foreach (var property in header.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    Metadata = ReadMetadata(property.Value);
                    continue;
                }

                var tensor = ReadTensor(property.Name, property.Value, dataStart, dataLength);
                if (!tensors.TryAdd(property.Name, tensor))
                {
                    throw new WeightFileException($"{Path}: tensor '{property.Name}' is listed twice");
                }
            }
        }

        CheckNoOverlap();
    }

    private WeightTensor ReadTensor(string name, JsonElement entry, long dataStart, long dataLength)
    {
        WeightFileException Bad(string what) => new($"{Path}: tensor '{name}': {what}");
        if (entry.ValueKind != JsonValueKind.Object
            || !entry.TryGetProperty("dtype", out var dtype) || dtype.ValueKind != JsonValueKind.String
            || !entry.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array
            || !entry.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
        {
            throw Bad("needs dtype, shape and data_offsets [begin, end]");
        }

        var type = dtype.GetString() switch
        {
            "F32" => WeightType.Float32,
            "F16" => WeightType.Float16,
            "BF16" => WeightType.BFloat16,
            var other => throw Bad($"unsupported dtype '{other}' (F32, F16 and BF16 are supported)"),
        };

        var dims = new long[shape.GetArrayLength()];
        var index = 0;
        foreach (var dim in shape.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out var value) || value < 0)
            {
                throw Bad("shape must hold non-negative whole numbers");
            }

            dims[index++] = value;
        }

        if (!offsets[0].TryGetInt64(out var begin) || !offsets[1].TryGetInt64(out var end) || begin < 0 || end < begin || end > dataLength)
        {
            throw Bad($"data_offsets [{offsets[0]}, {offsets[1]}] lie outside the {dataLength} data bytes");
        }

        long expected;
        try
        {
            expected = checked(dims.Aggregate(1L, (product, dim) => checked(product * dim)) * WeightTensor.ElementSize(type));
        }
        catch (OverflowException)
        {
            throw Bad("shape is too large");
        }

        if (expected != end - begin)
        {
            throw Bad($"shape [{string.Join(", ", dims)}] of {dtype.GetString()} needs {expected} bytes but data_offsets give {end - begin}");
        }

        return new WeightTensor(name, type, dims, dataStart + begin, end - begin, this);
    }

    private void CheckNoOverlap()
    {
        WeightTensor? previous = null;
        foreach (var tensor in tensors.Values.Where(t => t.ByteLength > 0).OrderBy(t => t.Offset))
        {
            if (previous is not null && tensor.Offset < previous.Offset + previous.ByteLength)
            {
                throw new WeightFileException($"{Path}: tensor '{tensor.Name}' overlaps tensor '{previous.Name}'");
            }

            previous = tensor;
        }
    }

    private Dictionary<string, string> ReadMetadata(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new WeightFileException($"{Path}: __metadata__ must be an object of strings");
        }

        return element.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText());
    }
}
