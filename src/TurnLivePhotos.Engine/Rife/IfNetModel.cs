using TurnLivePhotos.Engine.Onnx;
using TurnLivePhotos.Engine.Weights;

namespace TurnLivePhotos.Engine.Rife;

/// <summary>
/// Practical-RIFE's IFNet (v4.25 onwards, <c>train_log/IFNet_HDv3.py</c> and <c>model/warplayer.py</c>) as one ONNX
/// graph over the authors' state-dict names. Inputs <c>img0</c>, <c>img1</c> (N, 3, H, W) in [0, 1] with H and W
/// multiples of <see cref="SizeMultiple"/>, and <c>timestep</c> (N, 1, 1, 1), the instant between them; output
/// <c>frame</c> (N, 3, H, W). Five blocks refine a pair of flows coarse to fine (at 1/16 … 1/1 of the size), each
/// warping the images and head features by the flow so far; the frame blends the two warped images by the last
/// block's mask.
/// </summary>
public static class IfNetModel
{
    /// <summary>The network's size multiple at scale 1: block0 works at 1/16 of the size and halves it twice more.</summary>
    public const int SizeMultiple = 64;

    private static readonly int[] Scales = [16, 8, 4, 2, 1];

    /// <summary>The state dict (names and shapes) a config's graph binds; for synthetic checkpoints.</summary>
    public static IReadOnlyList<WeightShape> StateDict(IfNetConfig config)
    {
        var inventory = new WeightInventory();
        Define(new GraphBuilder(inventory), config, stages: false, WarpKernel.GridSample);
        return inventory.Entries;
    }

    /// <param name="stages">Also output each block's flow (<c>flow0</c>…) and mask logits (<c>mask0</c>…), as the fixtures record them.</param>
    /// <param name="warp">How frames are warped by a flow (see <see cref="WarpKernel"/>).</param>
    public static OnnxModel Build(Checkpoint weights, IfNetConfig config, bool stages = false, Precision precision = Precision.Float32, WarpKernel warp = WarpKernel.GridSample)
    {
        var g = new GraphBuilder(weights, precision);
        Define(g, config, stages, warp);
        return g.Build("rife_ifnet");
    }

    private static void Define(GraphBuilder g, IfNetConfig config, bool stages, WarpKernel kernel)
    {
        ArgumentNullException.ThrowIfNull(config);
        var img0 = g.Input("img0", null, 3, null, null);
        var img1 = g.Input("img1", null, 3, null, null);
        var timestep = g.Input("timestep", null, 1, 1, 1);

        // timestep = (x[:, :1] * 0 + 1) * timestep: a plane of the instant.
        var plane = g.Op("Expand", [timestep, g.Concat(0, g.ShapeSlice(img0, 0, 1), g.Ints(1), g.ShapeSlice(img0, 2, 4))], []);
        // The head runs once on both images, stacked along the batch axis.
        var features = g.OpMany("Split", [new FeatureHead(g, "encode", config.HeadChannels).Forward(g.Concat(0, img0, img1))], [Attr.Int("axis", 0)], 2);
        var (f0, f1) = (features[0], features[1]);
        var grid = new WarpGrid(g, img0, kernel);

        // Images and features that the same flow warps are sampled together (one GridSample per side).
        var source0 = g.Concat(1, img0, f0);
        var source1 = g.Concat(1, img1, f1);
        Value flow = default, mask = default, feat = default;
        for (var i = 0; i < IfNetConfig.BlockCount; i++)
        {
            var block = new IfBlock(g, $"block{i}", i == 0 ? config.FirstBlockInputs : config.LaterBlockInputs, config.BlockWidths[i], Scales[i]);
            if (i == 0)
            {
                (flow, mask, feat) = block.Forward(g.Concat(1, img0, img1, f0, f1, plane), flow: null);
            }
            else
            {
                var both0 = grid.Warp(source0, g.Slice(flow, 1, 0, 2));
                var both1 = grid.Warp(source1, g.Slice(flow, 1, 2, 4));
                var (delta, newMask, newFeat) = block.Forward(
                    g.Concat(1, g.Slice(both0, 1, 0, 3), g.Slice(both1, 1, 0, 3), g.Slice(both0, 1, 3, 3 + config.HeadChannels), g.Slice(both1, 1, 3, 3 + config.HeadChannels), plane, mask, feat),
                    flow);
                flow = g.Add(flow, delta);
                mask = newMask;
                feat = newFeat;
            }

            if (stages)
            {
                g.Output(flow, $"flow{i}");
                g.Output(mask, $"mask{i}");
            }
        }

        var warped0 = grid.Warp(img0, g.Slice(flow, 1, 0, 2));
        var warped1 = grid.Warp(img1, g.Slice(flow, 1, 2, 4));
        var weight = g.Op("Sigmoid", [mask], []);
        var merged = g.Add(g.Mul(warped0, weight), g.Mul(warped1, g.Op("Sub", [g.Scalar(1f), weight], [])));
        g.Output(merged, "frame");
    }

    private static Value LeakyRelu(GraphBuilder g, Value x) => g.Op("LeakyRelu", [x], [Attr.Float("alpha", 0.2f)]);

    /// <summary>F.interpolate(x, scale_factor, mode="bilinear", align_corners=False); sizes here divide exactly.</summary>
    private static Value Bilinear(GraphBuilder g, Value x, float factor) =>
        g.Op("Resize", [x, new Value(string.Empty), g.Float32Constant([1f, 1f, factor, factor], 4)],
            [Attr.String("mode", "linear"), Attr.String("coordinate_transformation_mode", "pytorch_half_pixel")]);

    /// <summary>torch.nn.ConvTranspose2d(in, out, 4, 2, 1): doubles the size; its weight is (in, out, 4, 4).</summary>
    private static Value ConvTranspose(GraphBuilder g, string prefix, Value x, long inChannels, long outChannels) =>
        g.Op("ConvTranspose", [x, g.Weight($"{prefix}.weight", inChannels, outChannels, 4, 4), g.Weight($"{prefix}.bias", outChannels)],
            [Attr.Ints("strides", 2, 2), Attr.Ints("pads", 1, 1, 1, 1), Attr.Ints("kernel_shape", 4, 4)], prefix);

    private static Value Conv(GraphBuilder g, string prefix, Value x, long inChannels, long outChannels, long stride) =>
        new Conv(g, prefix, inChannels, outChannels, [3, 3], [1, 1, 1, 1], stride).Forward(x);

    /// <summary>Head: three 3×3 convs (the first halves the size) with LeakyReLU(0.2), then a ConvTranspose back to full size.</summary>
    private sealed class FeatureHead(GraphBuilder g, string prefix, int channels)
    {
        public Value Forward(Value image)
        {
            var x = LeakyRelu(g, Conv(g, $"{prefix}.cnn0", image, 3, 16, 2));
            x = LeakyRelu(g, Conv(g, $"{prefix}.cnn1", x, 16, 16, 1));
            x = LeakyRelu(g, Conv(g, $"{prefix}.cnn2", x, 16, 16, 1));
            return ConvTranspose(g, $"{prefix}.cnn3", x, 16, channels);
        }
    }

    /// <summary>IFBlock: works at 1/scale of the size; returns a flow (pixels at full size), mask logits and 8 feature channels.</summary>
    private sealed class IfBlock(GraphBuilder g, string prefix, int inputs, int width, int scale)
    {
        public (Value Flow, Value Mask, Value Feat) Forward(Value x, Value? flow)
        {
            if (scale != 1)
            {
                x = Bilinear(g, x, 1f / scale);
            }

            if (flow is { } previous)
            {
                var small = scale == 1 ? previous : g.Mul(Bilinear(g, previous, 1f / scale), g.Scalar(1f / scale));
                x = g.Concat(1, x, small);
            }

            var feat = LeakyRelu(g, Conv(g, $"{prefix}.conv0.0.0", x, inputs, width / 2, 2));
            feat = LeakyRelu(g, Conv(g, $"{prefix}.conv0.1.0", feat, width / 2, width, 2));
            for (var i = 0; i < 8; i++)
            {
                // ResConv: LeakyReLU(conv(x) · beta + x), beta of shape (1, c, 1, 1).
                var residual = g.Mul(Conv(g, $"{prefix}.convblock.{i}.conv", feat, width, width, 1), g.Weight($"{prefix}.convblock.{i}.beta", 1, width, 1, 1));
                feat = LeakyRelu(g, g.Add(residual, feat));
            }

            // lastconv: ConvTranspose2d(c, 4·13, 4, 2, 1) then PixelShuffle(2), which is DepthToSpace in CRD order.
            var tmp = g.Op("DepthToSpace", [ConvTranspose(g, $"{prefix}.lastconv.0", feat, width, 52)], [Attr.Int("blocksize", 2), Attr.String("mode", "CRD")]);
            if (scale != 1)
            {
                tmp = Bilinear(g, tmp, scale);
            }

            var outFlow = g.Slice(tmp, 1, 0, 4);
            return (scale == 1 ? outFlow : g.Mul(outFlow, g.Scalar(scale)), g.Slice(tmp, 1, 4, 5), g.Slice(tmp, 1, 5, 13));
        }
    }

    /// <summary>
    /// model/warplayer.py's warp: grid_sample(bilinear, border, align_corners=True) at the base grid
    /// linspace(−1, 1) plus the flow scaled by 2 / (size − 1), so a flow of one unit moves one pixel.
    /// </summary>
    /// <remarks>
    /// Border padding clamps the sampling point to [0, size − 1] (ATen's clip_coordinates), so the graph clamps the
    /// pixel position itself and hands GridSample a point that needs no padding: expressed for align_corners=0 and
    /// zeros padding, which samples the same values (a neighbour past the last pixel only ever gets weight 0) and is
    /// the combination ONNX Runtime's CPU kernel runs on its precomputed fast path (grid_sample.cc).
    /// </remarks>
    private sealed class WarpGrid
    {
        private readonly GraphBuilder g;
        private readonly WarpKernel kernel;
        private readonly Value like;
        private readonly Axis axisX;
        private readonly Axis axisY;

        public WarpGrid(GraphBuilder g, Value like, WarpKernel kernel)
        {
            this.g = g;
            this.kernel = kernel;
            this.like = like;
            if (kernel == WarpKernel.GridSample)
            {
                axisX = Axis.Of(g, like, 3);
                axisY = Axis.Of(g, like, 2);
            }
        }

        /// <summary>
        /// One axis of the frame: pixel positions 0 … size − 1 (shaped to broadcast over (N, 1, H, W)), the last
        /// position, and the map from a pixel position to GridSample's align_corners=0 coordinate, (2p + 1) / size − 1.
        /// </summary>
        private readonly record struct Axis(Value Positions, Value Last, Value Scale, Value Offset)
        {
            public static Axis Of(GraphBuilder g, Value like, long axis)
            {
                var size = g.Slice(g.ShapeOf(like), 0, axis, axis + 1);
                var length = g.Cast(size, OnnxType.Float);
                var positions = g.Cast(g.Op("Range", [g.Constant([0L]), g.Op("Squeeze", [size], []), g.Constant([1L])], []), OnnxType.Float);
                var shaped = axis == 3 ? g.Reshape(positions, 1, 1, 1, -1) : g.Reshape(positions, 1, 1, -1, 1);
                var last = g.Op("Squeeze", [g.Op("Sub", [length, g.Float32Constant([1f], 1)], [])], []);
                var scale = g.Op("Div", [g.Float32Constant([2f], 1), length], []);
                var offset = g.Op("Sub", [g.Op("Div", [g.Float32Constant([1f], 1), length], []), g.Float32Constant([1f], 1)], []);
                return new Axis(g.ToCompute(shaped), g.ToCompute(last), g.ToCompute(scale), g.ToCompute(offset));
            }

            /// <summary>The GridSample coordinate of each position moved by <paramref name="flow"/>, clamped to the frame.</summary>
            public Value Sample(GraphBuilder g, Value flow)
            {
                var clamped = g.Op("Clip", [g.Add(Positions, flow), g.ToCompute(g.Float32Constant([0f])), Last], []);
                return g.Add(g.Mul(clamped, Scale), Offset);
            }
        }

        public Value Warp(Value source, Value flow) => kernel == WarpKernel.GridSample ? WarpGridSample(source, flow) : WarpGather(source, flow);

        private Value WarpGridSample(Value source, Value flow)
        {
            var grid = g.Transpose(g.Concat(1, axisX.Sample(g, g.Slice(flow, 1, 0, 1)), axisY.Sample(g, g.Slice(flow, 1, 1, 2))), 0, 2, 3, 1);
            return g.Op("GridSample", [source, grid], [Attr.String("mode", "bilinear"), Attr.String("padding_mode", "zeros"), Attr.Int("align_corners", 0)]);
        }

        /// <summary>
        /// The same sampling as gathers: the source point (x + flow, clamped to the border as grid_sample's border
        /// mode clamps it), its four neighbours fetched as rows of a (pixels, channels) table, blended bilinearly.
        /// </summary>
        private Value WarpGather(Value source, Value flow)
        {
            var shape = g.ShapeOf(like);
            var width = g.Slice(shape, 0, 3, 4);
            var height = g.Slice(shape, 0, 2, 3);
            var (x0, x1, wx) = Corners(g.Add(PixelIndex(3), g.Slice(flow, 1, 0, 1)), width);
            var (y0, y1, wy) = Corners(g.Add(PixelIndex(2), g.Slice(flow, 1, 1, 2)), height);

            // Row of pixel (n, y, x) in the table: (n · H + y) · W + x.
            var batch = g.Op("Range", [g.Constant([0L]), g.Op("Squeeze", [g.Slice(shape, 0, 0, 1)], []), g.Constant([1L])], []);
            var rowBase = g.Reshape(g.Mul(batch, g.Mul(height, width)), -1, 1, 1, 1);
            Value Row(Value y, Value x) => g.Reshape(g.Add(g.Add(rowBase, g.Mul(y, width)), x), -1);
            var table = g.Op("Reshape", [g.Transpose(source, 0, 2, 3, 1), g.Concat(0, g.Ints(-1), g.ShapeSlice(source, 1, 2))], []);
            Value Fetch(Value y, Value x) => g.Op("Gather", [table, Row(y, x)], [Attr.Int("axis", 0)]);
            var fx = g.Reshape(wx, -1, 1);
            var fy = g.Reshape(wy, -1, 1);
            var top = Lerp(Fetch(y0, x0), Fetch(y0, x1), fx);
            var bottom = Lerp(Fetch(y1, x0), Fetch(y1, x1), fx);
            var blended = Lerp(top, bottom, fy);
            var restored = g.Op("Reshape", [blended, g.Concat(0, g.ShapeSlice(source, 0, 1), g.ShapeSlice(flow, 2, 4), g.ShapeSlice(source, 1, 2))], []);
            return g.Transpose(restored, 0, 3, 1, 2);
        }

        private Value Lerp(Value a, Value b, Value weight) => g.Add(a, g.Mul(g.Op("Sub", [b, a], []), weight));

        /// <summary>Pixel positions 0 … size − 1 along an axis of the frame, shaped to broadcast over (N, 1, H, W).</summary>
        private Value PixelIndex(long axis)
        {
            var length = g.Op("Squeeze", [g.Slice(g.ShapeOf(like), 0, axis, axis + 1)], []);
            var positions = g.ToCompute(g.Cast(g.Op("Range", [g.Constant([0L]), length, g.Constant([1L])], []), OnnxType.Float));
            return axis == 3 ? g.Reshape(positions, 1, 1, 1, -1) : g.Reshape(positions, 1, 1, -1, 1);
        }

        /// <summary>A coordinate clamped to [0, size − 1]: its lower and upper neighbour and the upper one's weight.</summary>
        private (Value Lower, Value Upper, Value Weight) Corners(Value coordinate, Value size)
        {
            var last = g.Op("Sub", [size, g.Ints(1)], []);
            var clamped = g.Op("Max", [g.Op("Min", [coordinate, g.ToCompute(g.Cast(last, OnnxType.Float))], []), g.Scalar(0f)], []);
            var floor = g.Op("Floor", [clamped], []);
            var lower = g.Cast(floor, OnnxType.Int64);
            var upper = g.Op("Min", [g.Add(lower, g.Ints(1)), last], []);
            return (lower, upper, g.Op("Sub", [clamped, floor], []));
        }
    }
}

/// <summary>How the IFNet graph warps frames by a flow; both give grid_sample(bilinear, border, align_corners=True).</summary>
public enum WarpKernel
{
    /// <summary>The ONNX GridSample op (the default).</summary>
    GridSample,

    /// <summary>
    /// Gathers of whole pixels (all channels at once) and a bilinear blend, made of plain ops: for execution
    /// providers without GridSample. On ONNX Runtime's CPU provider it is no faster (docs/benchmarks.md).
    /// </summary>
    Gather,
}
