using System.Buffers.Binary;

namespace TurnLivePhotos.Engine.Weights.Torch;

/// <summary>The element types of PyTorch storages a state dict may hold, named after their storage classes.</summary>
public enum TorchDType
{
    Float32,
    Float16,
    BFloat16,
    Float64,
    Int64,
    Int32,
    Int16,
    Int8,
    UInt8,
    Bool,
}

/// <summary>One storage of a checkpoint (<c>data/KEY</c>): its element type and its bytes, already in little-endian order.</summary>
public sealed record TorchStorage(string Key, TorchDType Type, long ElementCount, byte[] Bytes)
{
    public static int ElementSize(TorchDType type) => type switch
    {
        TorchDType.Float64 or TorchDType.Int64 => 8,
        TorchDType.Float32 or TorchDType.Int32 => 4,
        TorchDType.Float16 or TorchDType.BFloat16 or TorchDType.Int16 => 2,
        _ => 1,
    };
}

/// <summary>
/// A tensor of a state dict as <c>torch._utils._rebuild_tensor_v2</c> describes it: a view (offset, sizes, strides,
/// all in elements) of a storage that other tensors may share. Reading gathers the view into row-major order.
/// </summary>
public sealed record TorchTensor(string Name, TorchStorage Storage, long StorageOffset, long[] Shape, long[] Stride)
{
    public TorchDType Type => Storage.Type;

    public long ElementCount => Shape.Aggregate(1L, (product, dim) => product * dim);

    public bool IsFloatingPoint => Type is TorchDType.Float32 or TorchDType.Float16 or TorchDType.BFloat16 or TorchDType.Float64;

    /// <summary>The values in row-major order as float32 (fp16 and bf16 widened exactly, fp64 rounded).</summary>
    public float[] ToFloat32()
    {
        if (!IsFloatingPoint)
        {
            throw new WeightFileException($"tensor '{Name}' holds {Type}, not floating-point values");
        }

        var bytes = Storage.Bytes;
        var values = new float[ElementCount];
        var i = 0;
        foreach (var index in ElementIndices())
        {
            var at = checked((int)(index * TorchStorage.ElementSize(Type)));
            values[i++] = Type switch
            {
                TorchDType.Float32 => BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(at)),
                TorchDType.Float16 => (float)BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan(at)),
                TorchDType.BFloat16 => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(at)) << 16),
                _ => (float)BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(at)),
            };
        }

        return values;
    }

    /// <summary>The values in row-major order as int64, for integer and boolean tensors.</summary>
    public long[] ToInt64()
    {
        if (IsFloatingPoint)
        {
            throw new WeightFileException($"tensor '{Name}' holds {Type}, not integers");
        }

        var bytes = Storage.Bytes;
        var values = new long[ElementCount];
        var i = 0;
        foreach (var index in ElementIndices())
        {
            var at = checked((int)(index * TorchStorage.ElementSize(Type)));
            values[i++] = Type switch
            {
                TorchDType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(at)),
                TorchDType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at)),
                TorchDType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(at)),
                TorchDType.Int8 => (sbyte)bytes[at],
                _ => bytes[at],
            };
        }

        return values;
    }

    /// <summary>Storage element indices of the view, row-major (the last axis fastest).</summary>
    private IEnumerable<long> ElementIndices()
    {
        if (ElementCount == 0)
        {
            yield break;
        }

        var counters = new long[Shape.Length];
        var index = StorageOffset;
        while (true)
        {
            yield return index;
            var axis = Shape.Length - 1;
            while (axis >= 0)
            {
                counters[axis]++;
                index += Stride[axis];
                if (counters[axis] < Shape[axis])
                {
                    break;
                }

                index -= Stride[axis] * Shape[axis];
                counters[axis] = 0;
                axis--;
            }

            if (axis < 0)
            {
                yield break;
            }
        }
    }

    /// <summary>Checks that the view lies inside its storage (the unpickler calls this before the tensor is handed out).</summary>
    internal static void CheckView(string name, TorchStorage storage, long offset, long[] shape, long[] stride)
    {
        if (shape.Length != stride.Length)
        {
            throw new WeightFileException($"tensor '{name}': {shape.Length} sizes but {stride.Length} strides");
        }

        if (offset < 0 || shape.Any(d => d < 0) || stride.Any(s => s < 0))
        {
            throw new WeightFileException($"tensor '{name}': negative offset, size or stride");
        }

        if (shape.Any(d => d == 0))
        {
            return;
        }

        long last;
        try
        {
            last = offset;
            for (var axis = 0; axis < shape.Length; axis++)
            {
                last = checked(last + checked((shape[axis] - 1) * stride[axis]));
            }
        }
        catch (OverflowException)
        {
            throw new WeightFileException($"tensor '{name}': its view overflows");
        }

        if (last >= storage.ElementCount)
        {
            throw new WeightFileException($"tensor '{name}': its view reaches element {last} of storage '{storage.Key}', which holds {storage.ElementCount}");
        }
    }

    /// <summary>Reverses the byte order of every element (storages of a big-endian checkpoint).</summary>
    internal static void SwapBytes(byte[] bytes, int elementSize)
    {
        if (elementSize == 1)
        {
            return;
        }

        for (var at = 0; at + elementSize <= bytes.Length; at += elementSize)
        {
            bytes.AsSpan(at, elementSize).Reverse();
        }
    }
}
