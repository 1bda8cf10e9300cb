using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TurnLivePhotos.Media.Imaging;

namespace TurnLivePhotos.Engine.Cinematic;

/// <summary>
/// Renders the photo from a moved camera, given its disparity. Three steps per frame:
/// <list type="number">
/// <item>Forward-splat the disparity into the new view with a z-buffer (nearest wins), each photo pixel covering
/// the frame pixels its magnified footprint reaches. This decides visibility: a near surface hides what it moves
/// over, and where it moves away the frame is left empty (a disocclusion). One-pixel cracks between neighbours of
/// similar depth (a slope seen at a new angle) are closed; gaps across a depth step are not.</item>
/// <item>Backward-warp the colours: every covered frame pixel knows its depth, so the exact photo position it came
/// from follows from the camera (linear in inverse depth) and is sampled bilinearly. Texture therefore stays as
/// sharp as the photo, and nothing is ever interpolated across a depth edge (no rubber sheet).</item>
/// <item>Fill the disocclusions from the background. What a move uncovers was hidden behind something nearer, so it
/// is background by definition: each hole takes the depth of the farther of its two borders (along the row or the
/// column, whichever hole run is shorter) and its colours by mirroring that farther side's pixels into it, so the
/// background's own texture continues instead of a smear of one colour or of the foreground's colour.
/// Rejected: push-pull / diffusion inpainting (blurs, and pulls foreground colour in unless masked per hole),
/// plain stretching of the nearest pixel (visible streaks), a learned inpainter (another model, seconds per frame).
/// The holes are a few pixels wide at the subtle amounts a live photo uses, where mirrored texture reads best.</item>
/// </list>
/// How it is made fast (a 1440×1080 frame is 1.5 million pixels, 45 frames a clip): the per-pixel camera maths is
/// done in float, a row at a time with <see cref="Vector{T}"/> (the pose is affine in x for a fixed inverse depth,
/// so only the perspective divide is per pixel); the colour gather stays scalar (it is a gather). Holes are found
/// in row-major passes only: the column runs are tracked with one open-run start per column instead of walking
/// columns through memory. The frame-sized scratch (z-buffer, hole index) comes from <see cref="ArrayPool{T}"/>,
/// so a clip allocates its frames and little else. The loops are compiled fully optimized at once
/// (AggressiveOptimization): a clip calls them only a few dozen times, most of which tiered compilation would run
/// as unoptimized first-tier code. Frames are independent, so the caller renders them in parallel
/// (one frame per core); splitting one frame's rows across cores was rejected: the z-buffer splat writes into
/// neighbouring rows, which would need locks or per-band buffers for no gain once every core has a frame.
/// </summary>
public static class ViewSynthesizer
{
    /// <summary>Neighbours closer than this in δ are one surface: a crack between them is closed.</summary>
    private const float SameSurface = 0.05f;

    /// <summary>Mirrored pixels must lie this close in δ to the background border; otherwise the border pixel repeats.</summary>
    private const float BackgroundMatch = 0.1f;

    /// <summary>Hole index of a pixel that is no hole.</summary>
    private const int NoHole = -1;

    public static RgbImage Render(RgbImage photo, DisparityField field, CameraPose pose)
    {
        ArgumentNullException.ThrowIfNull(photo);
        ArgumentNullException.ThrowIfNull(field);
        if (pose.IsRest)
        {
            // The still frame is the photo, pixel for pixel.
            return new RgbImage(photo.Width, photo.Height, (byte[])photo.Pixels.Clone());
        }

        var width = photo.Width;
        var height = photo.Height;
        var count = width * height;
        var depthBuffer = ArrayPool<float>.Shared.Rent(count);
        var holeBuffer = ArrayPool<int>.Shared.Rent(count);
        try
        {
            var depth = depthBuffer.AsSpan(0, count);
            var holeOf = holeBuffer.AsSpan(0, count);
            Splat(field, pose, width, height, depth);
            CloseCracks(depth, width, height);
            var holes = FindHoles(depth, holeOf, width, height);
            FillHoleDepth(depth, holes);
            var pixels = Sample(photo, depth, pose);
            FillHoleColours(pixels, depth, holeOf, holes, width);
            return new RgbImage(width, height, pixels);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(depthBuffer);
            ArrayPool<int>.Shared.Return(holeBuffer);
        }
    }

    /// <summary>The affine parts of <see cref="CameraPose.Project"/> and <see cref="CameraPose.Unproject"/> in float, relative to the frame's corner.</summary>
    private readonly record struct FloatPose(float ShiftX, float ShiftY, float Forward, float Zoom, float Pivot, float Cx, float Cy)
    {
        public static FloatPose Of(CameraPose pose, int width, int height) =>
            new((float)pose.ShiftX, (float)pose.ShiftY, (float)pose.Forward, (float)pose.Zoom, (float)pose.Pivot, (width - 1) / 2f, (height - 1) / 2f);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Splat(DisparityField field, CameraPose pose, int width, int height, Span<float> depth)
    {
        depth.Fill(-1f);
        var p = FloatPose.Of(pose, width, height);
        var x0s = ArrayPool<int>.Shared.Rent(width);
        var x1s = ArrayPool<int>.Shared.Rent(width);
        var y0s = ArrayPool<int>.Shared.Rent(width);
        var y1s = ArrayPool<int>.Shared.Rent(width);
        var dxs = Offsets(width, p.Cx);
        try
        {
            var lanes = Vector<float>.Count;
            var range = new Vector<float>((float)CinematicCamera.DepthRange);
            var forward = new Vector<float>(p.Forward);
            var zoom = new Vector<float>(p.Zoom);
            var shiftX = new Vector<float>(p.ShiftX);
            var shiftY = new Vector<float>(p.ShiftY);
            var offsetX = new Vector<float>((p.Zoom * p.ShiftX * p.Pivot) + p.Cx);
            var offsetY = new Vector<float>((p.Zoom * p.ShiftY * p.Pivot) + p.Cy);
            var halfZoom = new Vector<float>(p.Zoom / 2);
            var margin = new Vector<float>(0.01f);
            var lastX = new Vector<int>(width - 1);
            var lastY = new Vector<int>(height - 1);
            for (var y = 0; y < height; y++)
            {
                var values = field.Values.AsSpan(y * width, width);
                var dy = new Vector<float>(y - p.Cy);
                var x = 0;
                for (; x <= width - lanes; x += lanes)
                {
                    // Project: q = 1 + range·δ, perspective 1 / (1 − forward·q), footprint zoom·perspective.
                    var q = Vector<float>.One + (range * new Vector<float>(values[x..]));
                    var perspective = Vector<float>.One / (Vector<float>.One - (forward * q));
                    var tx = (zoom * (new Vector<float>(dxs.AsSpan(x)) - (shiftX * q)) * perspective) + offsetX;
                    var ty = (zoom * (dy - (shiftY * q)) * perspective) + offsetY;
                    var half = (halfZoom * perspective) + margin;
                    Vector.Max(Vector.ConvertToInt32(Vector.Ceiling(tx - half)), Vector<int>.Zero).CopyTo(x0s, x);
                    Vector.Min(Vector.ConvertToInt32(Vector.Floor(tx + half)), lastX).CopyTo(x1s, x);
                    Vector.Max(Vector.ConvertToInt32(Vector.Ceiling(ty - half)), Vector<int>.Zero).CopyTo(y0s, x);
                    Vector.Min(Vector.ConvertToInt32(Vector.Floor(ty + half)), lastY).CopyTo(y1s, x);
                }

                for (; x < width; x++)
                {
                    var q = 1 + ((float)CinematicCamera.DepthRange * values[x]);
                    var perspective = 1 / (1 - (p.Forward * q));
                    var tx = (p.Zoom * (dxs[x] - (p.ShiftX * q)) * perspective) + offsetX[0];
                    var ty = (p.Zoom * ((y - p.Cy) - (p.ShiftY * q)) * perspective) + offsetY[0];
                    var half = (p.Zoom / 2 * perspective) + 0.01f;
                    x0s[x] = Math.Max(0, (int)MathF.Ceiling(tx - half));
                    x1s[x] = Math.Min(width - 1, (int)MathF.Floor(tx + half));
                    y0s[x] = Math.Max(0, (int)MathF.Ceiling(ty - half));
                    y1s[x] = Math.Min(height - 1, (int)MathF.Floor(ty + half));
                }

                // The z-buffer: nearest wins over each pixel's footprint (one or two frame pixels each way).
                for (x = 0; x < width; x++)
                {
                    var d = values[x];
                    for (var v = y0s[x]; v <= y1s[x]; v++)
                    {
                        var row = depth.Slice(v * width, width);
                        for (var u = x0s[x]; u <= x1s[x]; u++)
                        {
                            if (d > row[u])
                            {
                                row[u] = d;
                            }
                        }
                    }
                }
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(x0s);
            ArrayPool<int>.Shared.Return(x1s);
            ArrayPool<int>.Shared.Return(y0s);
            ArrayPool<int>.Shared.Return(y1s);
            ArrayPool<float>.Shared.Return(dxs);
        }
    }

    /// <summary>x − centre for every column (rented, at least <paramref name="width"/> long, padded for whole vectors).</summary>
    private static float[] Offsets(int width, float centre)
    {
        var offsets = ArrayPool<float>.Shared.Rent(width + Vector<float>.Count);
        for (var x = 0; x < width; x++)
        {
            offsets[x] = x - centre;
        }

        return offsets;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CloseCracks(Span<float> depth, int width, int height)
    {
        for (var y = 1; y < height - 1; y++)
        {
            var row = depth.Slice(y * width, width);
            for (var x = NextHole(row, 1); x < width - 1; x = NextHole(row, x + 1))
            {
                var i = (y * width) + x;

                float a = depth[i - 1], b = depth[i + 1];
                if (a < 0 || b < 0 || Math.Abs(a - b) > SameSurface)
                {
                    (a, b) = (depth[i - width], depth[i + width]);
                }

                if (a >= 0 && b >= 0 && Math.Abs(a - b) <= SameSurface)
                {
                    depth[i] = (a + b) / 2;
                }
            }
        }
    }

    /// <summary>How one hole pixel is filled: from which border pixel (−1: none), stepping which way through the mirror, at which depth.</summary>
    private readonly record struct HoleFill(int Border, int Step, float Depth, int RunLength)
    {
        public static HoleFill None => new(-1, 0, 0, int.MaxValue);

        public bool HasBorder => Border >= 0;
    }

    /// <summary>The frame's hole pixels (row-major) and how each is filled; <paramref name="holeOf"/> maps a pixel to its entry.</summary>
    private sealed class Holes(int capacity)
    {
        public List<int> Pixels { get; } = new(capacity);

        public List<HoleFill> Fills { get; } = new(capacity);
    }

    /// <summary>
    /// Every hole's fill: the farther border of its run along the row or the column, whichever run is shorter (the
    /// row on a tie). Holes are a few per cent of a frame, so they are listed compactly (row-major) and the column
    /// runs are found by walking that list, with the open run's first and last row kept per column, instead of
    /// walking the frame's columns through memory.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Holes FindHoles(Span<float> depth, Span<int> holeOf, int width, int height)
    {
        holeOf.Fill(NoHole);
        var holes = new Holes(Math.Max(16, depth.Length / 32));
        for (var y = 0; y < height; y++)
        {
            var start = y * width;
            var row = depth.Slice(start, width);
            var k = 0;
            while (k < width)
            {
                k = NextHole(row, k);
                if (k == width)
                {
                    break;
                }

                var a = k;
                while (k < width && row[k] < 0)
                {
                    k++;
                }

                var fill = Run(depth, start, 1, a, k - 1, width);
                for (var j = a; j < k; j++)
                {
                    holeOf[start + j] = holes.Pixels.Count;
                    holes.Pixels.Add(start + j);
                    holes.Fills.Add(fill);
                }
            }
        }

        var openSince = ArrayPool<int>.Shared.Rent(width);
        var lastRow = ArrayPool<int>.Shared.Rent(width);
        try
        {
            Array.Fill(openSince, -1, 0, width);
            var fills = CollectionsMarshal.AsSpan(holes.Fills);
            foreach (var i in CollectionsMarshal.AsSpan(holes.Pixels))
            {
                var y = i / width;
                var x = i - (y * width);
                if (openSince[x] >= 0 && lastRow[x] != y - 1)
                {
                    PreferColumn(depth, holeOf, fills, x, openSince[x], lastRow[x], width, height);
                    openSince[x] = -1;
                }

                if (openSince[x] < 0)
                {
                    openSince[x] = y;
                }

                lastRow[x] = y;
            }

            for (var x = 0; x < width; x++)
            {
                if (openSince[x] >= 0)
                {
                    PreferColumn(depth, holeOf, fills, x, openSince[x], lastRow[x], width, height);
                }
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(openSince);
            ArrayPool<int>.Shared.Return(lastRow);
        }

        return holes;
    }

    /// <summary>The first hole at or after <paramref name="k"/> in a row (its length when there is none), skipping whole vectors of covered pixels.</summary>
    private static int NextHole(Span<float> row, int k)
    {
        var lanes = Vector<float>.Count;
        while (k <= row.Length - lanes && !Vector.LessThanAny(new Vector<float>(row[k..]), Vector<float>.Zero))
        {
            k += lanes;
        }

        while (k < row.Length && row[k] >= 0)
        {
            k++;
        }

        return k;
    }

    /// <summary>The column run of holes at x from row a to b: its fill replaces each pixel's row fill where the column run is shorter.</summary>
    private static void PreferColumn(Span<float> depth, Span<int> holeOf, Span<HoleFill> fills, int x, int a, int b, int width, int height)
    {
        var column = Run(depth, x, width, a, b, height);
        if (!column.HasBorder)
        {
            return;
        }

        for (var j = a; j <= b; j++)
        {
            var entry = holeOf[(j * width) + x];
            if (column.RunLength < fills[entry].RunLength)
            {
                fills[entry] = column;
            }
        }
    }

    /// <summary>The fill of the hole run a..b (positions along a line starting at <paramref name="start"/> with <paramref name="stride"/>).</summary>
    private static HoleFill Run(Span<float> depth, int start, int stride, int a, int b, int length)
    {
        var before = a > 0 ? depth[start + ((a - 1) * stride)] : float.MaxValue;
        var after = b < length - 1 ? depth[start + ((b + 1) * stride)] : float.MaxValue;
        if (before == float.MaxValue && after == float.MaxValue)
        {
            return HoleFill.None;
        }

        // The farther border (smaller δ) is the background the hole belongs to; mirror away from it.
        var fromBefore = before <= after;
        return new HoleFill(start + ((fromBefore ? a - 1 : b + 1) * stride), fromBefore ? -stride : stride, fromBefore ? before : after, b - a + 1);
    }

    /// <summary>Each hole takes its background's depth (a hole with no border in either direction, which the zoom that covers the edges rules out, takes the farthest).</summary>
    private static void FillHoleDepth(Span<float> depth, Holes holes)
    {
        var fills = CollectionsMarshal.AsSpan(holes.Fills);
        var pixels = CollectionsMarshal.AsSpan(holes.Pixels);
        for (var k = 0; k < pixels.Length; k++)
        {
            depth[pixels[k]] = fills[k].HasBorder ? fills[k].Depth : 0;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static byte[] Sample(RgbImage photo, Span<float> depth, CameraPose pose)
    {
        var width = photo.Width;
        var height = photo.Height;
        var source = photo.Pixels;
        var pixels = new byte[source.Length];
        var p = FloatPose.Of(pose, width, height);
        var lanes = Vector<float>.Count;
        var sxs = ArrayPool<float>.Shared.Rent(width);
        var sys = ArrayPool<float>.Shared.Rent(width);

        // Unproject: the source position is (x / zoom − shift·pivot)·(1 − forward·q) + shift·q, from the centre.
        var axs = ArrayPool<float>.Shared.Rent(width + lanes);
        try
        {
            for (var x = 0; x < width; x++)
            {
                axs[x] = ((x - p.Cx) / p.Zoom) - (p.ShiftX * p.Pivot);
            }

            var range = new Vector<float>((float)CinematicCamera.DepthRange);
            var forward = new Vector<float>(p.Forward);
            var shiftX = new Vector<float>(p.ShiftX);
            var shiftY = new Vector<float>(p.ShiftY);
            var cx = new Vector<float>(p.Cx);
            var cy = new Vector<float>(p.Cy);
            var maxX = new Vector<float>(width - 1);
            var maxY = new Vector<float>(height - 1);
            for (var y = 0; y < height; y++)
            {
                var row = depth.Slice(y * width, width);
                var ay = ((y - p.Cy) / p.Zoom) - (p.ShiftY * p.Pivot);
                var ayv = new Vector<float>(ay);
                var x = 0;
                for (; x <= width - lanes; x += lanes)
                {
                    var q = Vector<float>.One + (range * new Vector<float>(row[x..]));
                    var shrink = Vector<float>.One - (forward * q);
                    Vector.Min(Vector.Max((new Vector<float>(axs.AsSpan(x)) * shrink) + (shiftX * q) + cx, Vector<float>.Zero), maxX).CopyTo(sxs, x);
                    Vector.Min(Vector.Max((ayv * shrink) + (shiftY * q) + cy, Vector<float>.Zero), maxY).CopyTo(sys, x);
                }

                for (; x < width; x++)
                {
                    var q = 1 + ((float)CinematicCamera.DepthRange * row[x]);
                    var shrink = 1 - (p.Forward * q);
                    sxs[x] = Math.Clamp((axs[x] * shrink) + (p.ShiftX * q) + p.Cx, 0, width - 1);
                    sys[x] = Math.Clamp((ay * shrink) + (p.ShiftY * q) + p.Cy, 0, height - 1);
                }

                Gather(source, pixels, y, sxs, sys, width, height);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(sxs);
            ArrayPool<float>.Shared.Return(sys);
            ArrayPool<float>.Shared.Return(axs);
        }

        return pixels;
    }

    /// <summary>
    /// One output row, bilinear from the photo at (sx, sy) per pixel, in float like the rest (the photo's bytes
    /// weighted and rounded half up). Unsafe pointers: this is the innermost loop of the renderer (1.5 million
    /// pixels a frame, twelve reads each), and the positions are clamped to the photo just before, so bounds
    /// checks would only repeat that clamp.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Gather(byte[] source, byte[] pixels, int y, float[] sxs, float[] sys, int width, int height)
    {
        var stride = 3 * width;
        fixed (byte* photo = source, frame = pixels)
        fixed (float* xs = sxs, ys = sys)
        {
            var target = frame + (y * stride);
            for (var x = 0; x < width; x++, target += 3)
            {
                var sx = xs[x];
                var sy = ys[x];
                var x0 = (int)sx;
                var y0 = (int)sy;
                var wx = sx - x0;
                var wy = sy - y0;
                var right = x0 < width - 1 ? 3 : 0;
                var down = y0 < height - 1 ? stride : 0;
                var top = photo + (y0 * stride) + (3 * x0);
                var bottom = top + down;
                for (var c = 0; c < 3; c++)
                {
                    var upper = top[c] + ((top[c + right] - top[c]) * wx);
                    var lower = bottom[c] + ((bottom[c + right] - bottom[c]) * wx);
                    target[c] = (byte)(upper + ((lower - upper) * wy) + 0.5f);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FillHoleColours(byte[] pixels, Span<float> depth, Span<int> holeOf, Holes holes, int width)
    {
        var fills = CollectionsMarshal.AsSpan(holes.Fills);
        var holePixels = CollectionsMarshal.AsSpan(holes.Pixels);
        for (var k = 0; k < holePixels.Length; k++)
        {
            var fill = fills[k];
            if (!fill.HasBorder)
            {
                continue;
            }

            // Mirror: the hole pixel k steps inside from the border takes the pixel k − 1 steps beyond it, unless that
            // is itself a filled hole or not background.
            var i = holePixels[k];
            var inside = Math.Abs(i - fill.Border) / Math.Abs(fill.Step);
            var mirrored = fill.Border + (fill.Step * (inside - 1));
            var source = fill.Border;
            if (InLine(mirrored, fill, width, depth.Length)
                && (holeOf[mirrored] == NoHole || !fills[holeOf[mirrored]].HasBorder)
                && Math.Abs(depth[mirrored] - depth[fill.Border]) <= BackgroundMatch)
            {
                source = mirrored;
            }

            pixels[3 * i] = pixels[3 * source];
            pixels[(3 * i) + 1] = pixels[(3 * source) + 1];
            pixels[(3 * i) + 2] = pixels[(3 * source) + 2];
        }
    }

    private static bool InLine(int index, HoleFill fill, int width, int count) =>
        index >= 0 && index < count && (Math.Abs(fill.Step) != 1 || index / width == fill.Border / width);
}
