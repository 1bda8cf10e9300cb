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
        Define(new GraphBuilder(inventory), config, stages: false);
        return inventory.Entries;
    }

    /// <param name="stages">Also output each block's flow (<c>flow0</c>…) and mask logits (<c>mask0</c>…), as the fixtures record them.</param>
    public static OnnxModel Build(Checkpoint weights, IfNetConfig config, bool stages = false, Precision precision = Precision.Float32)
    {
        var g = new GraphBuilder(weights, precision);
        Define(g, config, stages);
        return g.Build("rife_ifnet");
    }

    private static void Define(GraphBuilder g, IfNetConfig config, bool stages)
    {
        ArgumentNullException.ThrowIfNull(config);
        var img0 = g.Input("img0", 1, 3, null, null);
        var img1 = g.Input("img1", 1, 3, null, null);
        var timestep = g.Input("timestep", 1, 1, 1, 1);

        // The two frames are stacked along the batch axis, so the head and every warp run once for both: frame k is
        // warped by flow channels 2k and 2k + 1, i.e. by the flow seen as (2, 2, H, W). A (2, C, h, w) stack read as
        // (1, 2C, h, w) is [frame 0's channels, frame 1's channels], which is how the blocks take them.
        var images = g.Concat(0, img0, img1);
        var features = new FeatureHead(g, "encode", config.HeadChannels).Forward(images);
        var sources = g.Concat(1, images, features);
        var grid = new WarpGrid(g, img0);
        Value Pairs(Value flow) => g.Reshape(flow, 2, 2, 0, 0);
        Value Joined(Value stack) => g.Reshape(stack, 1, -1, 0, 0);

        Value flow = default, mask = default, feat = default;
        for (var i = 0; i < IfNetConfig.BlockCount; i++)
        {
            var block = new IfBlock(g, $"block{i}", config, i, timestep);
            if (i == 0)
            {
                (flow, mask, feat) = block.Forward([Joined(block.Shrink(images)), Joined(block.Shrink(features))], [], flow: null);
            }
            else
            {
                var (delta, newMask, newFeat) = block.Forward([Joined(grid.WarpShrunk(sources, Pairs(flow), Scales[i]))], [block.Shrink(mask), block.Shrink(feat)], flow);
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

        // merged = warped_img0 · sigmoid(mask) + warped_img1 · (1 − sigmoid(mask)), summed over the stack.
        var warped = grid.Warp(images, Pairs(flow));
        var weight = g.Op("Sigmoid", [mask], []);
        var weights = g.Concat(0, weight, g.Op("Sub", [g.Scalar(1f), weight], []));
        g.Output(g.Op("ReduceSum", [g.Mul(warped, weights), g.Ints(0)], [Attr.Int("keepdims", 1)]), "frame");
    }

    private static Value LeakyRelu(GraphBuilder g, Value x) => g.Op("LeakyRelu", [x], [Attr.Float("alpha", 0.2f)]);

    /// <summary>F.interpolate(x, scale_factor, mode="bilinear", align_corners=False); sizes here divide exactly.</summary>
    private static Value Bilinear(GraphBuilder g, Value x, float factor) =>
        g.Op("Resize", [x, new Value(string.Empty), g.Float32Constant([1f, 1f, factor, factor], 4)],
            [Attr.String("mode", "linear"), Attr.String("coordinate_transformation_mode", "pytorch_half_pixel")]);

    /// <summary>torch.nn.ConvTranspose2d(in, out, 4, 2, 1): doubles the size; its weight is (in, out, 4, 4).</summary>
    private static Value ConvTranspose(GraphBuilder g, string prefix, Value x, long inChannels, long outChannels) =>
        SubPixelConv.Forward(g, x, g.Weight($"{prefix}.weight", inChannels, outChannels, 4, 4), g.Weight($"{prefix}.bias", outChannels), inChannels, outChannels, 1, prefix);

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

    /// <summary>
    /// IFBlock: works at 1/scale of the size; returns a flow (pixels at full size), mask logits and 8 feature channels.
    /// </summary>
    /// <remarks>
    /// The authors concatenate the block's inputs at full size and then shrink them; shrinking is per channel, so each
    /// input is shrunk first (or, for the warped frames, sampled only where the shrink reads: <see cref="WarpGrid.WarpShrunk"/>)
    /// and joined at the block's size. The later blocks take the warped images and features as [img0, f0, img1, f1]
    /// — the order the warp makes them — instead of [img0, img1, f0, f1]; conv0's first weight has its input channels
    /// gathered into that order, so no full-size copy is made to reorder them.
    /// </remarks>
    private sealed class IfBlock(GraphBuilder g, string prefix, IfNetConfig config, int index, Value timestep)
    {
        private readonly int scale = Scales[index];
        private readonly int width = config.BlockWidths[index];
        private readonly int inputs = index == 0 ? config.FirstBlockInputs : config.LaterBlockInputs;

        /// <summary>F.interpolate(x, scale_factor=1/scale, mode="bilinear", align_corners=False).</summary>
        public Value Shrink(Value x) => scale == 1 ? x : Bilinear(g, x, 1f / scale);

        /// <param name="frames">The images and features at the block's size, joined along channels (the inputs before the timestep plane).</param>
        /// <param name="state">The previous block's mask and features at the block's size (none for block0).</param>
        /// <param name="flow">The flow so far at full size (none for block0); the block shrinks it and its values.</param>
        public (Value Flow, Value Mask, Value Feat) Forward(Value[] frames, Value[] state, Value? flow)
        {
            // timestep = (x[:, :1] * 0 + 1) * timestep: a plane of the instant, made at the block's size.
            var plane = g.Op("Expand", [timestep, g.Concat(0, g.ShapeSlice(frames[0], 0, 1), g.Ints(1), g.ShapeSlice(frames[0], 2, 4))], []);
            Value[] tail = flow is { } previous ? [scale == 1 ? previous : g.Mul(Shrink(previous), g.Scalar(1f / scale))] : [];
            var x = g.Concat(1, [.. frames, plane, .. state, .. tail]);

            var feat = LeakyRelu(g, FirstConv(x, flow is not null));
            feat = LeakyRelu(g, Conv(g, $"{prefix}.conv0.1.0", feat, width / 2, width, 2));
            for (var i = 0; i < 8; i++)
            {
                // ResConv: LeakyReLU(conv(x) · beta + x), beta of shape (1, c, 1, 1).
                var residual = g.Mul(Conv(g, $"{prefix}.convblock.{i}.conv", feat, width, width, 1), g.Weight($"{prefix}.convblock.{i}.beta", 1, width, 1, 1));
                feat = LeakyRelu(g, g.Add(residual, feat));
            }

            // lastconv: ConvTranspose2d(c, 4·13, 4, 2, 1) then PixelShuffle(2) (DepthToSpace in CRD order) makes 13
            // channels: flow 4, mask 1, features 8. The last block works at full size and its features are never used,
            // so it makes its flow and its mask apart and nothing else.
            if (scale == 1)
            {
                return (LastConv(feat, 0, 4), LastConv(feat, 4, 5), default);
            }

            // tmp = F.interpolate(tmp, scale_factor=scale) is per channel, so its parts are cut first and grown apart.
            var tmp = LastConv(feat, 0, 13);
            Value Grown(Value part) => Bilinear(g, part, scale);
            return (g.Mul(Grown(g.Slice(tmp, 1, 0, 4)), g.Scalar(scale)), Grown(g.Slice(tmp, 1, 4, 5)), Grown(g.Slice(tmp, 1, 5, 13)));
        }

        /// <summary>Channels [<paramref name="from"/>, <paramref name="to"/>) of PixelShuffle(2)(lastconv(x)): the ConvTranspose's channels 4·from … 4·to.</summary>
        private Value LastConv(Value x, int from, int to)
        {
            var name = $"{prefix}.lastconv.0";
            var (weight, bias) = (g.Weight($"{name}.weight", width, 52, 4, 4), g.Weight($"{name}.bias", 52));
            if (from != 0 || to != 13)
            {
                (weight, bias) = (g.Slice(weight, 1, 4 * from, 4 * to), g.Slice(bias, 0, 4 * from, 4 * to));
            }

            return SubPixelConv.Forward(g, x, weight, bias, width, to - from, 2, from == 0 ? name : $"{name}.{from}");
        }

        /// <summary>conv0's first Conv(inputs, c/2, 3, 2, 1), its weight's input channels in the order <see cref="Forward"/> joins them.</summary>
        private Value FirstConv(Value x, bool warpedOrder)
        {
            var name = $"{prefix}.conv0.0.0";
            var weight = g.Weight($"{name}.weight", width / 2, inputs, 3, 3);
            if (warpedOrder)
            {
                weight = g.Op("Gather", [weight, g.Constant(WarpedOrder(config.HeadChannels, inputs), inputs)], [Attr.Int("axis", 1)]);
            }

            return g.Op("Conv", [x, weight, g.Weight($"{name}.bias", width / 2)], [Attr.Ints("pads", 1, 1, 1, 1), Attr.Ints("strides", 2, 2)], name);
        }

        /// <summary>For each input channel in [img0, f0, img1, f1, rest] order, its channel in the authors' [img0, img1, f0, f1, rest].</summary>
        private static long[] WarpedOrder(int head, int count)
        {
            var order = new long[count];
            for (var k = 0; k < count; k++)
            {
                order[k] = k switch
                {
                    < 3 => k,
                    _ when k < 3 + head => 6 + (k - 3),
                    _ when k < 6 + head => 3 + (k - 3 - head),
                    _ => k,
                };
            }

            return order;
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
    private sealed class WarpGrid(GraphBuilder g, Value like)
    {
        private readonly Dictionary<int, (Axis X, Axis Y)> axes = [];

        /// <summary>The warped frame at every pixel.</summary>
        public Value Warp(Value source, Value flow) => Sample(source, flow, AxesFor(1));

        /// <summary>
        /// F.interpolate(warp(source, flow), scale_factor=1/scale, bilinear, align_corners=False) for an even scale.
        /// That shrink reads, for output row y, only rows s·y + s/2 − 1 and s·y + s/2, half each (and the same for
        /// columns); so the warp is sampled at those rows and columns alone and shrunk by two, which averages them.
        /// </summary>
        public Value WarpShrunk(Value source, Value flow, int scale)
        {
            if (scale == 1)
            {
                return Warp(source, flow);
            }

            var (x, y) = AxesFor(scale);
            if (scale > 2)
            {
                flow = g.Op("Gather", [g.Op("Gather", [flow, y.Rows!.Value], [Attr.Int("axis", 2)]), x.Rows!.Value], [Attr.Int("axis", 3)]);
            }

            return Bilinear(g, Sample(source, flow, (x, y)), 0.5f);
        }

        /// <summary>The sampling runs in float32 in an fp16 graph too: fp16 cannot tell pixel positions past 1024 apart to a fraction.</summary>
        private Value Sample(Value source, Value flow, (Axis X, Axis Y) at)
        {
            var grid = g.Transpose(g.Concat(1, at.X.Sample(g, g.Slice(flow, 1, 0, 1)), at.Y.Sample(g, g.Slice(flow, 1, 1, 2))), 0, 2, 3, 1);
            return g.ToCompute(g.Op("GridSample", [g.ToFloat32(source), grid], [Attr.String("mode", "bilinear"), Attr.String("padding_mode", "zeros"), Attr.Int("align_corners", 0)]));
        }

        private (Axis X, Axis Y) AxesFor(int scale)
        {
            // Scale 2 reads every row (2y and 2y + 1), as scale 1 does.
            var key = scale > 2 ? scale : 1;
            if (!axes.TryGetValue(key, out var found))
            {
                found = (Axis.Of(g, like, 3, key), Axis.Of(g, like, 2, key));
                axes[key] = found;
            }

            return found;
        }

        /// <summary>
        /// One axis of the frame: the pixel positions sampled (every one, or rows s·y + s/2 − 1 and s·y + s/2 for a
        /// shrink by s, whose indices are <see cref="Rows"/>), shaped to broadcast over (N, 1, H, W); the last pixel;
        /// and the map from a pixel position to GridSample's align_corners=0 coordinate, (2p + 1) / size − 1.
        /// </summary>
        private readonly record struct Axis(Value Positions, Value? Rows, Value Last, Value Scale, Value Offset)
        {
            public static Axis Of(GraphBuilder g, Value like, long axis, int shrink)
            {
                var size = g.Slice(g.ShapeOf(like), 0, axis, axis + 1);
                var length = g.Cast(size, OnnxType.Float);
                Value? rows = null;
                Value indices;
                if (shrink == 1)
                {
                    indices = g.Op("Range", [g.Constant([0L]), g.Op("Squeeze", [size], []), g.Constant([1L])], []);
                }
                else
                {
                    var first = g.Op("Range", [g.Constant([(long)(shrink / 2) - 1]), g.Op("Squeeze", [size], []), g.Constant([(long)shrink])], []);
                    var pairs = g.Concat(1, g.Reshape(first, -1, 1), g.Reshape(g.Add(first, g.Ints(1)), -1, 1));
                    indices = g.Reshape(pairs, -1);
                    rows = indices;
                }

                var positions = g.Cast(indices, OnnxType.Float);
                var shaped = axis == 3 ? g.Reshape(positions, 1, 1, 1, -1) : g.Reshape(positions, 1, 1, -1, 1);
                var last = g.Op("Squeeze", [g.Op("Sub", [length, g.Float32Constant([1f], 1)], [])], []);
                var scale = g.Op("Div", [g.Float32Constant([2f], 1), length], []);
                var offset = g.Op("Sub", [g.Op("Div", [g.Float32Constant([1f], 1), length], []), g.Float32Constant([1f], 1)], []);
                return new Axis(shaped, rows, last, scale, offset);
            }

            /// <summary>The GridSample coordinate (float32) of each position moved by <paramref name="flow"/>, clamped to the frame.</summary>
            public Value Sample(GraphBuilder g, Value flow)
            {
                var clamped = g.Op("Clip", [g.Add(Positions, g.ToFloat32(flow)), g.Float32Constant([0f]), Last], []);
                return g.Add(g.Mul(clamped, Scale), Offset);
            }
        }
    }
}
