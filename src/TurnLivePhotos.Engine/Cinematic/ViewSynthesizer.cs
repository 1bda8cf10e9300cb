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
/// </summary>
public static class ViewSynthesizer
{
    /// <summary>Neighbours closer than this in δ are one surface: a crack between them is closed.</summary>
    private const float SameSurface = 0.05f;

    /// <summary>Mirrored pixels must lie this close in δ to the background border; otherwise the border pixel repeats.</summary>
    private const float BackgroundMatch = 0.1f;

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
        var depth = Splat(field, pose, width, height);
        CloseCracks(depth, width, height);
        var fills = FillHoleDepth(depth, width, height);
        var pixels = Sample(photo, depth, pose);
        FillHoleColours(pixels, depth, width, height, fills);
        return new RgbImage(width, height, pixels);
    }

    private static float[] Splat(DisparityField field, CameraPose pose, int width, int height)
    {
        var depth = new float[width * height];
        Array.Fill(depth, -1f);
        var cx = (width - 1) / 2.0;
        var cy = (height - 1) / 2.0;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var d = field.Values[(y * width) + x];
                var q = CinematicCamera.InverseDepth(d);
                var (tx, ty) = pose.Project(x - cx, y - cy, q);
                tx += cx;
                ty += cy;
                var half = (pose.Magnification(q) / 2) + 0.01;
                var x0 = Math.Max(0, (int)Math.Ceiling(tx - half));
                var x1 = Math.Min(width - 1, (int)Math.Floor(tx + half));
                var y0 = Math.Max(0, (int)Math.Ceiling(ty - half));
                var y1 = Math.Min(height - 1, (int)Math.Floor(ty + half));
                for (var v = y0; v <= y1; v++)
                {
                    var row = v * width;
                    for (var u = x0; u <= x1; u++)
                    {
                        if (d > depth[row + u])
                        {
                            depth[row + u] = d;
                        }
                    }
                }
            }
        }

        return depth;
    }

    private static void CloseCracks(float[] depth, int width, int height)
    {
        for (var y = 1; y < height - 1; y++)
        {
            for (var x = 1; x < width - 1; x++)
            {
                var i = (y * width) + x;
                if (depth[i] >= 0)
                {
                    continue;
                }

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

    /// <summary>How one hole pixel is filled: from which border pixel, stepping which way through the mirror, at which depth.</summary>
    private readonly record struct HoleFill(int Border, int Step, float Depth, int RunLength);

    /// <summary>
    /// Gives every hole the depth of its farther border and decides how its colour is filled. Holes are a few
    /// per cent of a frame, so they are kept in dictionaries rather than frame-sized arrays (memory per frame in flight).
    /// </summary>
    private static Dictionary<int, HoleFill> FillHoleDepth(float[] depth, int width, int height)
    {
        var rows = Runs(depth, width, height, horizontal: true);
        var columns = Runs(depth, width, height, horizontal: false);
        var fills = new Dictionary<int, HoleFill>(Math.Max(rows.Count, columns.Count));
        foreach (var (i, row) in rows)
        {
            fills[i] = columns.TryGetValue(i, out var column) && column.RunLength < row.RunLength ? column : row;
        }

        foreach (var (i, column) in columns)
        {
            fills.TryAdd(i, column);
        }

        for (var i = 0; i < depth.Length; i++)
        {
            if (depth[i] < 0)
            {
                // A hole with no border in either direction (cannot happen with the zoom that covers the edges).
                depth[i] = fills.TryGetValue(i, out var fill) ? fill.Depth : 0;
            }
        }

        return fills;
    }

    /// <summary>For each hole pixel along rows (or columns): its run's border (the farther side), depth and length.</summary>
    private static Dictionary<int, HoleFill> Runs(float[] depth, int width, int height, bool horizontal)
    {
        var result = new Dictionary<int, HoleFill>();
        var lines = horizontal ? height : width;
        var length = horizontal ? width : height;
        var stride = horizontal ? 1 : width;
        for (var line = 0; line < lines; line++)
        {
            var start = horizontal ? line * width : line;
            var k = 0;
            while (k < length)
            {
                if (depth[start + (k * stride)] >= 0)
                {
                    k++;
                    continue;
                }

                var a = k;
                while (k < length && depth[start + (k * stride)] < 0)
                {
                    k++;
                }

                var b = k - 1;
                var before = a > 0 ? depth[start + ((a - 1) * stride)] : float.MaxValue;
                var after = b < length - 1 ? depth[start + ((b + 1) * stride)] : float.MaxValue;
                if (before == float.MaxValue && after == float.MaxValue)
                {
                    continue;
                }

                // The farther border (smaller δ) is the background the hole belongs to; mirror away from it.
                var fromBefore = before <= after;
                var fill = new HoleFill(start + ((fromBefore ? a - 1 : b + 1) * stride), fromBefore ? -stride : stride, fromBefore ? before : after, b - a + 1);
                for (var j = a; j <= b; j++)
                {
                    result[start + (j * stride)] = fill;
                }
            }
        }

        return result;
    }

    private static byte[] Sample(RgbImage photo, float[] depth, CameraPose pose)
    {
        var width = photo.Width;
        var height = photo.Height;
        var source = photo.Pixels;
        var pixels = new byte[source.Length];
        var cx = (width - 1) / 2.0;
        var cy = (height - 1) / 2.0;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = (y * width) + x;
                var (sx, sy) = pose.Unproject(x - cx, y - cy, CinematicCamera.InverseDepth(depth[i]));
                sx = Math.Clamp(sx + cx, 0, width - 1);
                sy = Math.Clamp(sy + cy, 0, height - 1);
                var x0 = (int)sx;
                var y0 = (int)sy;
                var x1 = Math.Min(x0 + 1, width - 1);
                var y1 = Math.Min(y0 + 1, height - 1);
                var wx = (float)(sx - x0);
                var wy = (float)(sy - y0);
                int p00 = 3 * ((y0 * width) + x0), p01 = 3 * ((y0 * width) + x1), p10 = 3 * ((y1 * width) + x0), p11 = 3 * ((y1 * width) + x1);
                for (var c = 0; c < 3; c++)
                {
                    var top = source[p00 + c] + ((source[p01 + c] - source[p00 + c]) * wx);
                    var bottom = source[p10 + c] + ((source[p11 + c] - source[p10 + c]) * wx);
                    pixels[(3 * i) + c] = (byte)(top + ((bottom - top) * wy) + 0.5f);
                }
            }
        }

        return pixels;
    }

    private static void FillHoleColours(byte[] pixels, float[] depth, int width, int height, Dictionary<int, HoleFill> fills)
    {
        foreach (var (i, fill) in fills)
        {
            // Mirror: the hole pixel k steps inside from the border takes the pixel k − 1 steps beyond it.
            var inside = Math.Abs(i - fill.Border) / Math.Abs(fill.Step);
            var mirrored = fill.Border + (fill.Step * (inside - 1));
            var source = fill.Border;
            if (InLine(mirrored, fill, width, height) && !fills.ContainsKey(mirrored) && Math.Abs(depth[mirrored] - depth[fill.Border]) <= BackgroundMatch)
            {
                source = mirrored;
            }

            pixels[3 * i] = pixels[3 * source];
            pixels[(3 * i) + 1] = pixels[(3 * source) + 1];
            pixels[(3 * i) + 2] = pixels[(3 * source) + 2];
        }
    }

    private static bool InLine(int index, HoleFill fill, int width, int height) =>
        index >= 0 && index < width * height && (Math.Abs(fill.Step) != 1 || index / width == fill.Border / width);
}
