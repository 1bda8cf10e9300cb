using TurnLivePhotos.Engine.Depth;
using TurnLivePhotos.Media.Imaging;

namespace TurnLivePhotos.Engine.Cinematic;

/// <summary>The frames of a cinematic clip from a photo (already at frame size) and its depth.</summary>
public static class CinematicClip
{
    public sealed record Result(IReadOnlyList<RgbImage> Frames, CameraMove Move, string Reason);

    public static Result Render(RgbImage photo, DepthMap depth, MotionParameters parameters, IProgress<MotionProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(photo);
        ArgumentNullException.ThrowIfNull(parameters);
        var field = DisparityField.From(depth, photo.Width, photo.Height);
        var (move, direction, reason) = parameters.Camera == CameraMove.Auto
            ? CinematicCamera.Choose(field)
            : (parameters.Camera, parameters.Camera == CameraMove.Rise ? -1 : 1, $"{parameters.Camera.ToString().ToLowerInvariant()} requested");

        var frames = new RgbImage[Math.Max(1, parameters.Frames)];
        var done = 0;
        var progressLock = new Lock();
        Parallel.For(0, frames.Length, new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var progressAt = frames.Length == 1 ? 0 : (double)i / (frames.Length - 1);
            frames[i] = ViewSynthesizer.Render(photo, field, CinematicCamera.At(move, progressAt, parameters.MotionBucketId, photo.Width, photo.Height, direction));
            lock (progressLock)
            {
                progress?.Report(new MotionProgress("render", ++done, frames.Length));
            }
        });

        return new Result(frames, move, reason);
    }
}
