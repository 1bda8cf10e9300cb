namespace TurnLivePhotos.Engine.Onnx;

/// <summary>
/// An optimized graph's protobuf with the shapes of its inputs left out (their element types kept): the form in
/// which <see cref="OptimizedModelCache"/> hands a saved entry to ONNX Runtime.
/// </summary>
/// <remarks>
/// Why: ONNX Runtime's allocation planner walks its list of freed buffers for every value, looking for one of the
/// same shape. Our inputs' height and width are symbolic, so every activation has unknown spatial dimensions, no two
/// compare equal, and the walk becomes quadratic in the graph's nodes — most of the time an entry takes to open.
/// Without input shapes, shape inference leaves the activations shapeless too and the planner passes over them at
/// once. An entry is opened with optimizations off (the shape-using passes ran when it was saved) and the CPU kernels
/// read shapes from the tensors at run time; buffers are still reused through the memory arena. Rejected:
/// free-dimension overrides (the graph computes its Reshape targets, so dimensions stay unknown anyway) and an entry
/// per output size (each a full copy of the weights). Figures in docs/benchmarks.md; docs/decisions/0005-graph-cache.md.
/// </remarks>
internal static class ShapelessInputs
{
    /// <exception cref="InvalidDataException">The bytes are not a well-formed ONNX model.</exception>
    public static byte[] Strip(ReadOnlySpan<byte> model) => Without(
        model,
        [OnnxSchema.Model.Graph, OnnxSchema.Graph.Input, OnnxSchema.ValueInfo.Type, OnnxSchema.TypeProto.TensorType, OnnxSchema.TypeProto.Shape]);

    /// <summary>The message without the field at the end of <paramref name="path"/> (a path of nested message fields).</summary>
    private static byte[] Without(ReadOnlySpan<byte> message, ReadOnlySpan<int> path)
    {
        var writer = new ProtoWriter();
        var reader = new ProtoReader(message);
        while (reader.Next())
        {
            if (reader.Field != path[0] || !reader.IsLengthDelimited)
            {
                writer.Raw(reader.Raw);
            }
            else if (path.Length > 1)
            {
                writer.Bytes(reader.Field, Without(reader.Payload, path[1..]));
            }
        }

        return writer.ToArray();
    }
}
