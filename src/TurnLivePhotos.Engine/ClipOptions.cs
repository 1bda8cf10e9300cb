namespace TurnLivePhotos.Engine;

/// <summary>
/// What every engine reads to make a clip: its length, rate, how much it moves, the noise seed and the pixel budget.
/// Mapped from the user-facing <see cref="MotionParameters"/> by <see cref="MotionParameters.ToClip"/>.
/// </summary>
/// <param name="MotionBucketId">Motion amount, 0–<see cref="MaxMotionBucketId"/> (SVD's conditioning; the others scale by it).</param>
/// <param name="Seed">Noise seed; null lets the engine choose (the classic engine then uses 0).</param>
/// <param name="TargetWidth">Pixel budget of the frames (width × height); the photo's aspect ratio is kept.</param>
public sealed record ClipOptions(int Frames, int Fps, int MotionBucketId, long? Seed, int TargetWidth, int TargetHeight)
{
    /// <summary>The largest motion bucket id: SVD was conditioned on 0–255, and the other engines scale their motion by it.</summary>
    public const int MaxMotionBucketId = 255;
}
