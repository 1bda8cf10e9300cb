namespace TurnLivePhotos.Engine.Rife;

/// <summary>One frame of an interpolated clip: an original (<see cref="Timestep"/> 0, <see cref="From"/> itself) or the instant between two originals.</summary>
public readonly record struct PlannedFrame(int From, int To, float Timestep)
{
    public bool IsOriginal => Timestep == 0f;
}

/// <summary>
/// Where interpolated frames go. Every original frame is kept, exactly, at its own instant: the clip is played at
/// <c>factor</c> × its rate with <c>factor − 1</c> new frames between each pair, so a clip of 25 frames made for
/// ~8 fps becomes 30 fps with the originals every fourth frame (the clip then lasts 25 / 7.5 s). With a seam, the
/// pair last → first is filled too, so a loop played round has no jump.
/// </summary>
public static class InterpolationPlan
{
    /// <summary>The whole multiple of <paramref name="sourceFps"/> nearest <paramref name="targetFps"/> (at least 1).</summary>
    public static int Factor(double sourceFps, double targetFps)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sourceFps);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(targetFps);
        return Math.Max(1, (int)Math.Round(targetFps / sourceFps, MidpointRounding.AwayFromZero));
    }

    /// <param name="frameCount">Frames of the clip as it plays (after any loop arrangement).</param>
    /// <param name="factor">Output frames per original frame.</param>
    /// <param name="seam">Also fill last → first (forward and crossfade loops; a ping-pong loop turns round instead).</param>
    public static IReadOnlyList<PlannedFrame> Build(int frameCount, int factor, bool seam)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(frameCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(factor);
        var plan = new List<PlannedFrame>(frameCount * factor);
        for (var i = 0; i < frameCount; i++)
        {
            plan.Add(new PlannedFrame(i, i, 0f));
            var next = i + 1 < frameCount ? i + 1 : seam && frameCount > 1 ? 0 : -1;
            for (var step = 1; next >= 0 && step < factor; step++)
            {
                plan.Add(new PlannedFrame(i, next, (float)step / factor));
            }
        }

        return plan;
    }
}
