using TurnLivePhotos.Engine.Onnx;

namespace TurnLivePhotos.Engine.Rife;

/// <summary>
/// torch.nn.ConvTranspose2d(in, out, kernel 4, stride 2, padding 1), optionally followed by PixelShuffle(q), as a 3×3
/// Conv (padding 1) with 4·out channels and one DepthToSpace(2q): the same sums, without the ConvTranspose's
/// column buffer and scatter.
/// </summary>
/// <remarks>
/// Output row 2m + r of the transposed conv takes input rows m + d through kernel row k: for r = 0, d = −1 → k = 3 and
/// d = 0 → k = 1; for r = 1, d = 0 → k = 2 and d = +1 → k = 0 (y = 2·i − 1 + k). So each output parity is a 3×3 conv
/// whose taps are those kernel rows and columns, the third tap zero. The weight is rearranged by ops on the stored
/// (in, out, 4, 4) tensor, which ONNX Runtime folds into a constant when it loads the graph.
/// </remarks>
internal static class SubPixelConv
{
    /// <summary>For each output parity r, the kernel index each 3×3 tap (d = −1, 0, +1) reads; 4 is the zero padding.</summary>
    private static readonly long[] Taps = [3, 1, 4, 4, 2, 0];

    /// <param name="weight">The ConvTranspose2d weight, (in, out, 4, 4), its out = channels · shuffle².</param>
    /// <param name="shuffle">1, or the PixelShuffle factor that follows the ConvTranspose.</param>
    public static Value Forward(GraphBuilder g, Value x, Value weight, Value bias, long inChannels, long channels, int shuffle, string name)
    {
        long q = shuffle;
        var taps = g.Constant(Taps, 2, 3);
        var split = g.Reshape(weight, inChannels, channels, q, q, 4, 4);
        var padded = g.Op("Pad", [split, g.Ints(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1)], [Attr.String("mode", "constant")]);
        var rows = g.Op("Gather", [padded, taps], [Attr.Int("axis", 4)]); // (in, c, qy, qx, ry, jy, kx)
        var both = g.Op("Gather", [rows, taps], [Attr.Int("axis", 6)]); // (in, c, qy, qx, ry, jy, rx, jx)

        // DepthToSpace(2q, CRD) reads channel c·(2q)² + by·2q + bx with by = 2·ry + qy: order (c, ry, qy, rx, qx).
        var kernel = g.Reshape(g.Transpose(both, 1, 4, 2, 6, 3, 0, 5, 7), channels * 4 * q * q, inChannels, 3, 3);
        var shifts = g.Op("Expand", [g.Reshape(bias, channels, 1, q, 1, q), g.Ints(channels, 2, q, 2, q)], []);
        var conv = g.Op("Conv", [x, kernel, g.Reshape(shifts, -1)], [Attr.Ints("pads", 1, 1, 1, 1), Attr.Ints("kernel_shape", 3, 3)], name);
        return g.Op("DepthToSpace", [conv], [Attr.Int("blocksize", 2 * q), Attr.String("mode", "CRD")]);
    }
}
