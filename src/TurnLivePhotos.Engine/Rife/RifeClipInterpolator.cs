using TurnLivePhotos.Engine.Onnx;
using TurnLivePhotos.Media.Formats;
using TurnLivePhotos.Media.Imaging;

namespace TurnLivePhotos.Engine.Rife;

/// <summary>
/// A looped clip at a higher frame rate: the frames <see cref="InterpolationPlan"/> places between the originals
/// are made by RIFE; the originals are the very same images (byte for byte), the still keeps its frame. A pair played
/// both ways (a ping-pong loop's way back) is made once and its frames reused in reverse, so a boomerang is symmetric.
/// </summary>
public static class RifeClipInterpolator
{
    /// <param name="seam">Fill last → first as well (forward and crossfade loops).</param>
    public static LoopedClip Interpolate(RifeInterpolator rife, LoopedClip clip, int factor, bool seam, IProgress<MotionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rife);
        ArgumentNullException.ThrowIfNull(clip);
        var plan = InterpolationPlan.Build(clip.Frames.Count, factor, seam);
        var planes = new Dictionary<int, FloatTensor>();
        FloatTensor Planes(int index) => planes.TryGetValue(index, out var known) ? known : planes[index] = ToPlanes(clip.Frames[index]);
        var frames = new List<RgbImage>(plan.Count);
        var madeFrames = new Dictionary<(RgbImage From, RgbImage To, int Step), RgbImage>(new PairComparer());
        var made = 0;
        var total = NewFrames(clip, factor, seam);
        foreach (var planned in plan)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (planned.IsOriginal)
            {
                frames.Add(clip.Frames[planned.From]);
                continue;
            }

            var (from, to) = (clip.Frames[planned.From], clip.Frames[planned.To]);
            var step = (int)MathF.Round(planned.Timestep * factor);
            if (madeFrames.TryGetValue((to, from, factor - step), out var mirrored))
            {
                frames.Add(mirrored);
                continue;
            }

            var image = ToImage(rife.Interpolate(Planes(planned.From), Planes(planned.To), planned.Timestep, cancellationToken));
            madeFrames[(from, to, step)] = image;
            frames.Add(image);
            progress?.Report(new MotionProgress("interpolate", ++made, total));
        }

        return new LoopedClip(frames, clip.StillIndex * factor);
    }

    /// <summary>How many frames RIFE makes for <see cref="Interpolate"/>: a pair met again the other way round is not made twice.</summary>
    public static int NewFrames(LoopedClip clip, int factor, bool seam)
    {
        ArgumentNullException.ThrowIfNull(clip);
        var pairs = new HashSet<(RgbImage From, RgbImage To, int Step)>(new PairComparer());
        var count = 0;
        foreach (var planned in InterpolationPlan.Build(clip.Frames.Count, factor, seam).Where(p => !p.IsOriginal))
        {
            var (from, to) = (clip.Frames[planned.From], clip.Frames[planned.To]);
            var step = (int)MathF.Round(planned.Timestep * factor);
            if (!pairs.Contains((to, from, factor - step)) && pairs.Add((from, to, step)))
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>Frames are the same when they are the same image object (a loop plays an engine frame again by reference).</summary>
    private sealed class PairComparer : IEqualityComparer<(RgbImage From, RgbImage To, int Step)>
    {
        public bool Equals((RgbImage From, RgbImage To, int Step) x, (RgbImage From, RgbImage To, int Step) y) =>
            ReferenceEquals(x.From, y.From) && ReferenceEquals(x.To, y.To) && x.Step == y.Step;

        public int GetHashCode((RgbImage From, RgbImage To, int Step) pair) =>
            HashCode.Combine(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(pair.From), System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(pair.To), pair.Step);
    }

    /// <summary>Interleaved 8-bit RGB → (3, H, W) in [0, 1], as the authors' scripts divide by 255.</summary>
    public static FloatTensor ToPlanes(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var area = image.Width * image.Height;
        var planes = new FloatTensor([3, image.Height, image.Width]);
        for (var i = 0; i < area; i++)
        {
            for (var c = 0; c < 3; c++)
            {
                planes.Data[(c * area) + i] = image.Pixels[(i * 3) + c] / 255f;
            }
        }

        return planes;
    }

    /// <summary>(3, H, W) → interleaved 8-bit RGB, rounded and clamped.</summary>
    public static RgbImage ToImage(FloatTensor planes)
    {
        ArgumentNullException.ThrowIfNull(planes);
        int height = (int)planes.Shape[1], width = (int)planes.Shape[2], area = height * width;
        var pixels = new byte[area * 3];
        for (var i = 0; i < area; i++)
        {
            for (var c = 0; c < 3; c++)
            {
                pixels[(i * 3) + c] = (byte)Math.Clamp(MathF.Round(planes.Data[(c * area) + i] * 255f), 0f, 255f);
            }
        }

        return new RgbImage(width, height, pixels);
    }
}
