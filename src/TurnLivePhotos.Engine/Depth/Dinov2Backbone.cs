using TurnLivePhotos.Engine.Onnx;

namespace TurnLivePhotos.Engine.Depth;

/// <summary>
/// transformers' Dinov2Backbone as Depth Anything uses it (module prefix <c>backbone</c>): patch embedding, class
/// token, position embeddings resized to the input's patch grid, pre-norm layers with LayerScale, and the final
/// LayerNorm applied to the hidden states of the <c>out_indices</c> stages (CLS kept; the DPT neck drops it).
/// </summary>
public sealed class Dinov2Backbone(GraphBuilder g, string prefix, Dinov2Config config) : Layer(g, prefix)
{
    /// <summary>The feature maps (one per out index), and every stage the fixtures record when <paramref name="probe"/> is given.</summary>
    public IReadOnlyList<Value> Forward(Value pixels, PatchGrid grid, Action<Value, string>? probe = null)
    {
        var embeddings = new Embeddings(Graph, Child("embeddings"), config);
        var x = embeddings.Forward(pixels, grid, probe);
        var hidden = new List<Value> { x };
        for (var i = 0; i < config.Layers; i++)
        {
            x = new Dinov2Layer(Graph, Child($"encoder.layer.{i}"), config).Forward(x);
            hidden.Add(x);
        }

        var features = new List<Value>();
        foreach (var index in config.OutIndices)
        {
            features.Add(config.ApplyLayerNorm ? FinalNorm(hidden[index]) : hidden[index]);
        }

        if (probe is not null)
        {
            hidden.Select((h, k) => (h, k)).ToList().ForEach(p => probe(p.h, $"backbone.hidden_states.{p.k}"));
            features.Select((f, n) => (f, n)).ToList().ForEach(p => probe(p.f, $"backbone.feature_maps.{p.n}"));
        }

        return features;
    }

    /// <summary>The shared final LayerNorm, applied once per out index (so its nodes are named by the graph, not the layer).</summary>
    private Value FinalNorm(Value x) => Graph.ToCompute(Graph.Op("LayerNormalization",
        [Graph.ToFloat32(x), Weight32("layernorm.weight", config.HiddenSize), Weight32("layernorm.bias", config.HiddenSize)],
        [Attr.Int("axis", -1), Attr.Float("epsilon", config.LayerNormEps)]));

    /// <summary>Dinov2Embeddings: [CLS; patches] + position embeddings (mask_token is for masked pre-training only).</summary>
    private sealed class Embeddings(GraphBuilder g, string prefix, Dinov2Config config) : Layer(g, prefix)
    {
        public Value Forward(Value pixels, PatchGrid grid, Action<Value, string>? probe)
        {
            var patches = new Conv(Graph, Child("patch_embeddings.projection"), config.NumChannels, config.HiddenSize, [config.PatchSize, config.PatchSize], [0, 0, 0, 0], config.PatchSize).Forward(pixels);
            var tokens = Graph.Transpose(Graph.Reshape(patches, 0, config.HiddenSize, -1), 0, 2, 1);
            var batchShape = Graph.Concat(0, Graph.ShapeSlice(pixels, 0, 1), Graph.Ints(1, config.HiddenSize));
            var classToken = Graph.Op("Expand", [Graph.Reshape(Weight("cls_token", 1, 1, config.HiddenSize), 1, 1, -1), batchShape], []);
            var sequence = Graph.Concat(1, classToken, tokens);
            var positions = InterpolatedPositions(grid);
            probe?.Invoke(tokens, "backbone.patch_embeddings");
            probe?.Invoke(positions, "backbone.position_embeddings_interpolated");
            return Graph.Add(sequence, positions);
        }

        /// <summary>
        /// The learned M×M grid of position embeddings resized to the input's h×w patch grid the way the ORIGINAL
        /// DINOv2 code does it (and transformers' Dinov2 did until it switched to size=(h, w)): bicubic (A = −0.75,
        /// edge-clamped taps, no antialias) with scale_factor ((h + 0.1)/M, (w + 0.1)/M). The scale, not h/M, sets the
        /// half-pixel source coordinate, src = (dst + 0.5)·M/(h + 0.1) − 0.5, which is exactly ONNX Resize given
        /// <c>scales</c> (output size floor(M·scale) = h). The original returns the table untouched when the grid is
        /// already M×M; a scale of exactly 1 gives that too (cubic weights at whole positions are 0, 1, 0, 0).
        /// Rejected: resizing on the host per input size (a new graph per aspect ratio), and size=(h, w) (what
        /// recent transformers does; it moves Depth-Anything-V2 outputs by up to ~1 on the fixture's tiny model).
        /// </summary>
        private Value InterpolatedPositions(PatchGrid grid)
        {
            long side = config.ImageSize / config.PatchSize;
            var all = Weight("position_embeddings", 1, (side * side) + 1, config.HiddenSize);
            var classPosition = Graph.Slice(all, 1, 0, 1);
            var patchGrid = Graph.Transpose(Graph.Reshape(Graph.Slice(all, 1, 1, long.MaxValue), 1, side, side, config.HiddenSize), 0, 3, 1, 2);

            var gridFloat = Graph.Cast(grid.HeightWidth, OnnxType.Float);
            var scales = Graph.Op("Div", [Graph.Op("Add", [gridFloat, Graph.Float32Constant([0.1f])], []), Graph.Float32Constant([side])], []);
            var matches = Graph.Op("Equal", [grid.HeightWidth, Graph.Constant([side], 1)], []);
            var isSquare = Graph.Op("And", [Graph.Slice(matches, 0, 0, 1), Graph.Slice(matches, 0, 1, 2)], []);
            var spatialScales = Graph.Op("Where", [isSquare, Graph.Float32Constant([1f, 1f], 2), scales], []);
            var allScales = Graph.Concat(0, Graph.Float32Constant([1f, 1f], 2), spatialScales);
            var resized = Graph.Op("Resize", [Graph.ToFloat32(patchGrid), new Value(string.Empty), allScales],
                [Attr.String("mode", "cubic"), Attr.Float("cubic_coeff_a", -0.75f), Attr.String("coordinate_transformation_mode", "half_pixel"), Attr.Int("exclude_outside", 0)]);
            var flat = Graph.Reshape(Graph.Transpose(Graph.ToCompute(resized), 0, 2, 3, 1), 1, -1, config.HiddenSize);
            return Graph.Concat(1, classPosition, flat);
        }
    }

    /// <summary>Dinov2Layer: x + ls1·attn(norm1(x)), then x + ls2·mlp(norm2(x)).</summary>
    private sealed class Dinov2Layer(GraphBuilder g, string prefix, Dinov2Config config) : Layer(g, prefix)
    {
        public Value Forward(Value x)
        {
            var normed = new LayerNorm(Graph, Child("norm1"), config.HiddenSize, config.LayerNormEps).Forward(x);
            var attended = new Dinov2Attention(Graph, Child("attention"), config).Forward(normed);
            x = Graph.Add(x, Graph.Mul(attended, Weight("layer_scale1.lambda1", config.HiddenSize)));
            var hidden = new Linear(Graph, Child("mlp.fc1"), config.HiddenSize, config.MlpHidden).Forward(new LayerNorm(Graph, Child("norm2"), config.HiddenSize, config.LayerNormEps).Forward(x));
            hidden = config.HiddenAct switch
            {
                "relu" => Graph.Op("Relu", [hidden], []),
                "quick_gelu" => Graph.QuickGelu(hidden),
                _ => Graph.Gelu(hidden),
            };
            var mlp = new Linear(Graph, Child("mlp.fc2"), config.MlpHidden, config.HiddenSize).Forward(hidden);
            return Graph.Add(x, Graph.Mul(mlp, Weight("layer_scale2.lambda1", config.HiddenSize)));
        }
    }

    /// <summary>Dinov2Attention: separate query/key/value projections (the original's fused qkv split by rows), scale head_dim^-0.5, output dense.</summary>
    private sealed class Dinov2Attention(GraphBuilder g, string prefix, Dinov2Config config) : Layer(g, prefix)
    {
        public Value Forward(Value x)
        {
            var q = new Linear(Graph, Child("attention.query"), config.HiddenSize, config.HiddenSize, config.QkvBias).Forward(x);
            var k = new Linear(Graph, Child("attention.key"), config.HiddenSize, config.HiddenSize, config.QkvBias).Forward(x);
            var v = new Linear(Graph, Child("attention.value"), config.HiddenSize, config.HiddenSize, config.QkvBias).Forward(x);
            var attended = Graph.MultiHeadAttention(q, k, v, config.Heads, 1f / MathF.Sqrt(config.HeadDim));
            return new Linear(Graph, Child("output.dense"), config.HiddenSize, config.HiddenSize).Forward(attended);
        }
    }
}

/// <summary>The input's patch grid (h, w) = (H / patch, W / patch) as int64 graph values, shared by backbone and head.</summary>
public sealed record PatchGrid(Value HeightWidth, Value Height, Value Width)
{
    public static PatchGrid Of(GraphBuilder g, Value pixels, int patchSize)
    {
        var hw = g.Op("Div", [g.ShapeSlice(pixels, 2, 4), g.Constant([(long)patchSize])], []);
        return new PatchGrid(hw, g.Slice(hw, 0, 0, 1), g.Slice(hw, 0, 1, 2));
    }
}
