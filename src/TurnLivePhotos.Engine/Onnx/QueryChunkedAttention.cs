namespace TurnLivePhotos.Engine.Onnx;

/// <summary>
/// Attention from plain ONNX ops for providers without a fused kernel (<see cref="AttentionKernel.Chunked"/>):
/// the query rows are cut into blocks sized at run time so that one block's scores, over all batch entries and
/// heads, hold at most <see cref="ScoreElements"/> values, and an ONNX Loop runs the blocks one after another.
/// </summary>
/// <remarks>
/// The block size is computed in the graph from the actual shapes, because the networks are built with dynamic
/// image sides: rows = clamp(ScoreElements / (batch · heads · key tokens), 1, query tokens). The query is padded
/// to a whole number of blocks so every iteration yields the same shape (Loop stacks its scan outputs), and the
/// padding is cut off after the loop. Splitting the batch or the heads as well would bound memory further when
/// batch · heads · key tokens alone exceeds the budget; none of our networks comes near that (50 · 20 · 9216
/// keys would still be 9.2 M elements per row).
/// </remarks>
public static class QueryChunkedAttention
{
    /// <summary>At most this many score elements per block: 32 Mi, 128 MiB in fp32.</summary>
    public const long ScoreElements = 32L << 20;

    /// <summary>softmax(q kᵀ · scale) v on (B, H, T, D) query and (B, H, S, D) key and value tensors → (B, H, T, D).</summary>
    /// <param name="scoreElements">The bound on one block's score elements (smaller in tests, to force many blocks).</param>
    public static Value ChunkedAttention(this GraphBuilder g, Value q, Value k, Value v, float scale, long scoreElements = ScoreElements)
    {
        var queryShape = g.Op("Shape", [q], []);
        var batchHeads = g.Op("ReduceProd", [g.Slice(queryShape, 0, 0, 2)], [Attr.Int("keepdims", 1)]);
        var queryTokens = g.Slice(queryShape, 0, 2, 3);
        var keyTokens = g.ShapeSlice(k, 2, 3);

        var budgetRows = g.Op("Div", [g.Ints(scoreElements), g.Op("Mul", [batchHeads, keyTokens], [])], []);
        var rows = g.Op("Min", [g.Op("Max", [budgetRows, g.Ints(1)], []), queryTokens], []);
        var blocks = g.Op("Div", [g.Op("Sub", [g.Op("Add", [queryTokens, rows], []), g.Ints(1)], []), rows], []);
        var padding = g.Op("Sub", [g.Op("Mul", [blocks, rows], []), queryTokens], []);
        var padded = g.Op("Pad", [g.ToFloat32(q), g.Concat(0, g.Ints(0, 0, 0, 0, 0, 0), padding, g.Ints(0))], [Attr.String("mode", "constant")]);
        var scaledQuery = g.Op("Mul", [padded, g.Float32Constant([scale])], []);
        var keysT = g.Transpose(g.ToFloat32(k), 0, 1, 3, 2);

        var body = g.Subgraph();
        var iteration = body.TypedInput("iteration", OnnxType.Int64);
        var condition = body.TypedInput("condition", OnnxType.Bool);
        var start = body.Op("Mul", [body.Op("Unsqueeze", [iteration, body.Ints(0)], []), rows], []);
        var block = body.Op("Slice", [scaledQuery, start, body.Op("Add", [start, rows], []), body.Ints(2)], []);
        var weights = body.ToCompute(body.Op("Softmax", [body.Op("MatMul", [block, keysT], [])], [Attr.Int("axis", -1)]));
        body.TypedOutput(condition, "condition_out", OnnxType.Bool);
        body.TypedOutput(body.Op("MatMul", [weights, v], []), "block_out", g.ComputeType);

        var tripCount = g.Op("Squeeze", [blocks, g.Ints(0)], []);
        var stacked = g.Op("Loop", [tripCount, new Value(string.Empty)], [Attr.Graph("body", body, "query_block")]);  // (blocks, B, H, rows, D)
        var merged = g.Op("Reshape", [g.Transpose(stacked, 1, 2, 0, 3, 4), g.Concat(0, g.Slice(queryShape, 0, 0, 2), g.Ints(-1), g.Slice(queryShape, 0, 3, 4))], []);
        return g.Op("Slice", [merged, g.Ints(0), queryTokens, g.Ints(2)], []);
    }
}
