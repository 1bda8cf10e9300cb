namespace TurnLivePhotos.Engine.Onnx;

/// <summary>A float32 tensor on the host: row-major values and their shape. What goes in and out of a network.</summary>
public sealed record FloatTensor(float[] Data, long[] Shape)
{
    public FloatTensor(long[] shape)
        : this(new float[shape.Aggregate(1L, (a, b) => a * b)], shape)
    {
    }

    public long ElementCount => Data.LongLength;

    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}
