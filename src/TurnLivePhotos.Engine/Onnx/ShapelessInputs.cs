namespace TurnLivePhotos.Engine.Onnx;

/// <summary>
/// An optimized graph's protobuf with the shapes of its inputs left out (their element types kept): the form in
/// which <see cref="OptimizedModelCache"/> hands a saved entry to ONNX Runtime.
/// </summary>
/// <remarks>
/// Opening the full-size UNet's entry took 2.0–2.2 s (3.3 s in this VM's slow phases), and 1.8 s of that was ONNX
/// Runtime's allocation planner (its verbose log: from "Use DeviceBasedPartition" to "Saving initialized tensors";
/// perf: string hashing, memcmp and a mutex, the ONNX type-string look-ups its size comparisons make). For every
/// value the planner walks its list of freed buffers looking for one of the same shape. Our inputs' height and width
/// are symbolic, so from the first convolution on every activation has unknown spatial dimensions; no two compare
/// equal, nothing is taken off the list, and the walk becomes quadratic in the graph's 3,104 nodes. Given inputs
/// without a shape, shape inference leaves the activations without one too, and the planner passes over a value
/// without a shape at once: the session takes 1.4 s instead of 2.2 s, the planner 1.0 s instead of 1.8 s. An entry
/// is opened with optimizations off — the passes that use shapes ran when it was saved, and their result is in it —
/// and the CPU kernels read shapes from the tensors at run time; buffers are still reused through the memory arena.
/// Rejected: free-dimension overrides for the run's sizes (no faster: the graph computes its Reshape targets, so the
/// activations' dimensions stay unknown all the same), and an entry per output size (5.7 GB each for the UNet).
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
