namespace TurnLivePhotos.Media.Formats;

/// <summary>
/// Makes a looped clip play faster by adding frames between its own (RIFE, passed in by Core: Media does not know the
/// network). The originals are kept as they are, one every <see cref="InterpolatedClip.Factor"/> frames.
/// </summary>
public interface IClipInterpolator
{
    /// <param name="clip">The clip as it plays, after its loop arrangement.</param>
    /// <param name="playbackFps">The rate it would play at without new frames.</param>
    /// <param name="seam">Fill the pair last → first too (forward and crossfade loops).</param>
    /// <returns>The clip with new frames (or the clip itself, factor 1, when it already plays at the phone's rate).</returns>
    InterpolatedClip Interpolate(LoopedClip clip, double playbackFps, bool seam, CancellationToken cancellationToken);
}

/// <summary>A clip with <see cref="Factor"/> − 1 frames made between each pair of originals; its still index counts the new frames.</summary>
public sealed record InterpolatedClip(LoopedClip Clip, int Factor);

public static class ClipInterpolation
{
    /// <summary>The rate phone videos and MP4s are brought to: an iPhone Live Photo's movie plays 30 frames a second.</summary>
    public const double TargetFps = 30;

    /// <summary>A forward or crossfade loop jumps from its last frame to its first, so that pair is filled too; a ping-pong loop turns round.</summary>
    public static bool HasSeam(LoopMode loop) => loop != LoopMode.PingPong;
}
