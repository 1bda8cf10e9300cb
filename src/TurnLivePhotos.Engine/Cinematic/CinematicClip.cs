using TurnLivePhotos.Engine.Depth;
using TurnLivePhotos.Media.Imaging;

namespace TurnLivePhotos.Engine.Cinematic;

/// <summary>The frames of a cinematic clip from a photo (already at frame size) and its depth.</summary>
public static class CinematicClip
{
    public sealed record Result(IReadOnlyList<RgbImage> Frames, CameraMove Move, string Reason);

    /// <summary>Every frame, made before this returns.</summary>
    public static Result Render(RgbImage photo, DepthMap depth, ClipOptions clip, CameraOptions camera, IProgress<MotionProgress>? progress, CancellationToken cancellationToken)
    {
        var (frames, move, reason) = Start(photo, depth, clip, camera, progress, cancellationToken);
        try
        {
            frames.Completion.GetAwaiter().GetResult();
        }
        catch (TaskCanceledException)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw;
        }

        return new Result([.. frames], move, reason);
    }

    /// <summary>
    /// Starts making the frames, one per core on threads of their own, and returns at once with the frames as they
    /// arrive. The still (frame 0, the photo itself) comes first, then the others from the last backwards: a Live or
    /// Motion Photo plays there and back (frames N−1 … 1, 0 … N−1), so its encoder can take each frame as it is made.
    /// </summary>
    public static (ArrivingFrames Frames, CameraMove Move, string Reason) Start(RgbImage photo, DepthMap depth, ClipOptions clip, CameraOptions camera, IProgress<MotionProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(photo);
        ArgumentNullException.ThrowIfNull(clip);
        ArgumentNullException.ThrowIfNull(camera);
        var field = DisparityField.From(depth, photo.Width, photo.Height);
        var (move, direction, reason) = camera.Move == CameraMove.Auto
            ? CinematicCamera.Choose(field)
            : (camera.Move, camera.Move == CameraMove.Rise ? -1 : 1, $"{camera.Move.ToString().ToLowerInvariant()} requested");

        var count = Math.Max(1, clip.Frames);
        var frames = new ArrivingFrames(count);
        int[] order = [0, .. Enumerable.Range(1, count - 1).Reverse()];
        var next = -1;
        var done = 0;
        var progressLock = new Lock();
        var workers = Enumerable.Range(0, Math.Min(count, Environment.ProcessorCount)).Select(_ => new Thread(() =>
        {
            try
            {
                for (var slot = Interlocked.Increment(ref next); slot < count; slot = Interlocked.Increment(ref next))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var i = order[slot];
                    var progressAt = count == 1 ? 0 : (double)i / (count - 1);
                    frames.Set(i, ViewSynthesizer.Render(photo, field, CinematicCamera.At(move, progressAt, clip.MotionBucketId, photo.Width, photo.Height, direction)));
                    lock (progressLock)
                    {
                        progress?.Report(new MotionProgress("render", ++done, count));
                    }
                }
            }
            catch (Exception ex)
            {
                // Every frame not yet made fails with this, so no reader waits for a frame that will not come.
                frames.Fail(ex);
            }
        })
        { IsBackground = true, Name = "cinematic render" }).ToList();
        workers.ForEach(worker => worker.Start());
        return (frames, move, reason);
    }
}
