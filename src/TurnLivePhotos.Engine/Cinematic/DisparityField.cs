using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using TurnLivePhotos.Engine.Depth;

namespace TurnLivePhotos.Engine.Cinematic;

/// <summary>
/// Depth at frame size as normalised disparity δ ∈ [0, 1] (0 = farthest, 1 = nearest), with crisp depth edges.
/// The model's relative output is affine-invariant inverse depth, so only its order and proportions mean anything:
/// it is stretched between its 2nd and 98th percentiles (a few stray pixels do not set the scale). A map without
/// a usable range is flat: δ = 1 everywhere, i.e. the whole photo is one plane and every move becomes a plain
/// camera move without parallax.
/// </summary>
public sealed class DisparityField
{
    /// <summary>Spread (relative to the larger percentile) below which the depth counts as flat.</summary>
    public const float FlatSpread = 0.02f;

    /// <summary>A local depth step larger than this is treated as an edge and made a clean step.</summary>
    public const float EdgeStep = 0.1f;

    private readonly Lazy<InverseDepthField> inverseDepth;

    private DisparityField(int width, int height, float[] values, bool isFlat)
    {
        Width = width;
        Height = height;
        Values = values;
        IsFlat = isFlat;
        inverseDepth = new(() =>
        {
            var q = new float[values.Length];
            for (var i = 0; i < q.Length; i++)
            {
                q[i] = (float)CinematicCamera.InverseDepth(values[i]);
            }

            return new InverseDepthField(width, height, q);
        });
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>δ per frame pixel, row-major.</summary>
    public float[] Values { get; }

    public bool IsFlat { get; }

    /// <summary>The engine's scene as inverse depth: q = 1 + <see cref="CinematicCamera.DepthRange"/>·δ (the farthest point at distance 1), made once per field.</summary>
    public InverseDepthField InverseDepth => inverseDepth.Value;

    public static DisparityField From(DepthMap depth, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(depth);
        var (low, high) = Percentiles(depth.Values);
        var spread = high - low;
        if (!(spread > FlatSpread * Math.Max(Math.Abs(high), Math.Abs(low))) || !float.IsFinite(spread))
        {
            return new DisparityField(width, height, Enumerable.Repeat(1f, width * height).ToArray(), isFlat: true);
        }

        var values = new float[width * height];
        var sx = (float)depth.Width / width;
        var sy = (float)depth.Height / height;
        Parallel.For(0, height, y =>
        {
            // Bilinear with half-pixel centres (the depth map and the frame cover the same photo).
            var fy = Math.Clamp(((y + 0.5f) * sy) - 0.5f, 0, depth.Height - 1);
            var y0 = (int)fy;
            var y1 = Math.Min(y0 + 1, depth.Height - 1);
            var wy = fy - y0;
            for (var x = 0; x < width; x++)
            {
                var fx = Math.Clamp(((x + 0.5f) * sx) - 0.5f, 0, depth.Width - 1);
                var x0 = (int)fx;
                var x1 = Math.Min(x0 + 1, depth.Width - 1);
                var wx = fx - x0;
                var top = depth[x0, y0] + ((depth[x1, y0] - depth[x0, y0]) * wx);
                var bottom = depth[x0, y1] + ((depth[x1, y1] - depth[x0, y1]) * wx);
                values[(y * width) + x] = Math.Clamp((top + ((bottom - top) * wy) - low) / spread, 0f, 1f);
            }
        });

        var radius = Math.Max(1, (int)Math.Ceiling(Math.Max((double)width / depth.Width, (double)height / depth.Height)));
        return new DisparityField(width, height, SnapEdges(values, width, height, radius), isFlat: false);
    }

    /// <summary>A field from δ values directly (tests, synthetic scenes).</summary>
    public static DisparityField FromValues(int width, int height, float[] values) => new(width, height, values, values.All(v => v == values[0]));

    /// <summary>
    /// Upsampling a depth map smears each depth edge over a few frame pixels of in-between depth, and those
    /// pixels would later move at in-between speeds: a rubber sheet stretched across the edge. Where the depth
    /// within <paramref name="radius"/> spans more than <see cref="EdgeStep"/>, each pixel takes the local minimum
    /// or maximum, whichever is closer, so the edge becomes a one-pixel step at the middle of the ramp. Smooth
    /// slopes (a ground plane) stay untouched.
    /// </summary>
    private static float[] SnapEdges(float[] values, int width, int height, int radius)
    {
        var (min, max) = SlidingExtremes(values, width, height, radius);
        var snapped = min;
        for (var i = 0; i < values.Length; i++)
        {
            var v = values[i];
            snapped[i] = max[i] - min[i] <= EdgeStep ? v : (v - min[i] < max[i] - v ? min[i] : max[i]);
        }

        return snapped;
    }

    /// <summary>
    /// The minimum and maximum over each (2·radius + 1)² window, as a row pass then a column pass, both extremes in
    /// one sweep (the window is a few pixels wide, so a plain scan beats a monotone-queue filter). The column pass
    /// runs along rows of the row-pass result, so both read memory in order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (float[] Min, float[] Max) SlidingExtremes(float[] values, int width, int height, int radius)
    {
        var rowMin = new float[values.Length];
        var rowMax = new float[values.Length];
        Parallel.For(0, height, y =>
        {
            var row = values.AsSpan(y * width, width);
            var low = rowMin.AsSpan(y * width, width);
            var high = rowMax.AsSpan(y * width, width);
            for (var x = 0; x < width; x++)
            {
                var lo = row[x];
                var hi = lo;
                for (var k = Math.Max(0, x - radius); k <= Math.Min(width - 1, x + radius); k++)
                {
                    lo = Math.Min(lo, row[k]);
                    hi = Math.Max(hi, row[k]);
                }

                low[x] = lo;
                high[x] = hi;
            }
        });

        var min = new float[values.Length];
        var max = new float[values.Length];
        Parallel.For(0, height, y =>
        {
            var low = min.AsSpan(y * width, width);
            var high = max.AsSpan(y * width, width);
            rowMin.AsSpan(y * width, width).CopyTo(low);
            rowMax.AsSpan(y * width, width).CopyTo(high);
            for (var k = Math.Max(0, y - radius); k <= Math.Min(height - 1, y + radius); k++)
            {
                TensorPrimitives.Min(low, rowMin.AsSpan(k * width, width), low);
                TensorPrimitives.Max(high, rowMax.AsSpan(k * width, width), high);
            }
        });
        return (min, max);
    }

    private static (float Low, float High) Percentiles(float[] values)
    {
        var step = Math.Max(1, values.Length / 65536);
        var sample = new List<float>(values.Length / step + 1);
        for (var i = 0; i < values.Length; i += step)
        {
            if (float.IsFinite(values[i]))
            {
                sample.Add(values[i]);
            }
        }

        if (sample.Count == 0)
        {
            return (0, 0);
        }

        sample.Sort();
        return (sample[(int)(0.02 * (sample.Count - 1))], sample[(int)Math.Ceiling(0.98 * (sample.Count - 1))]);
    }
}
