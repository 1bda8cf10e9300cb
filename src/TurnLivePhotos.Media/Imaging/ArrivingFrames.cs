namespace TurnLivePhotos.Media.Imaging;

/// <summary>A clip whose frames may still be on their way; reading a frame that is not there yet waits for it.</summary>
public interface IArrivingFrames : IReadOnlyList<RgbImage>
{
    /// <summary>Frame <paramref name="index"/> once it is there; throws what stopped it from coming.</summary>
    ValueTask<RgbImage> WhenReady(int index, CancellationToken cancellationToken);
}

/// <summary>
/// The frames of a clip as an engine makes them, so writing can start before the last frame is made: an encoder
/// feeding ffmpeg frame by frame takes each one as it arrives (awaiting it), code that indexes the list waits on the
/// spot. An engine that fails or is cancelled fails every frame not yet made with the same exception.
/// </summary>
/// <remarks>
/// Why: the cinematic engine's frames and their H.264 encode each kept only part of a 2-core machine busy (the
/// encoder feeds x264 through one converting thread), one after the other; overlapping them is most of what the
/// clip's wall time could lose. Rejected: an <c>IAsyncEnumerable</c> of frames (a loop sequence plays frames out of
/// order — a ping-pong starts with the last — and several writers read the same frames), and a channel per writer.
/// </remarks>
public sealed class ArrivingFrames : IArrivingFrames
{
    private readonly TaskCompletionSource<RgbImage>[] ready;
    private readonly TaskCompletionSource all = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int missing;

    public ArrivingFrames(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ready = [.. Enumerable.Range(0, count).Select(_ => new TaskCompletionSource<RgbImage>(TaskCreationOptions.RunContinuationsAsynchronously))];
        missing = count;
    }

    public int Count => ready.Length;

    /// <summary>Completes when every frame is there; faults or is cancelled as the engine did.</summary>
    public Task Completion => all.Task;

    public RgbImage this[int index] => ready[index].Task.GetAwaiter().GetResult();

    public ValueTask<RgbImage> WhenReady(int index, CancellationToken cancellationToken) =>
        ready[index].Task.IsCompletedSuccessfully ? ValueTask.FromResult(ready[index].Task.Result) : new ValueTask<RgbImage>(ready[index].Task.WaitAsync(cancellationToken));

    /// <summary>Frame <paramref name="index"/> has arrived (after <see cref="Fail"/>, a late frame is dropped).</summary>
    public void Set(int index, RgbImage frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (ready[index].TrySetResult(frame))
        {
            if (Interlocked.Decrement(ref missing) == 0)
            {
                all.TrySetResult();
            }
        }
        else if (ready[index].Task.IsCompletedSuccessfully)
        {
            throw new InvalidOperationException($"frame {index} arrived twice");
        }
    }

    /// <summary>No more frames will come: every reader of a missing frame gets <paramref name="reason"/>.</summary>
    public void Fail(Exception reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        foreach (var frame in ready)
        {
            if (reason is OperationCanceledException cancelled)
            {
                frame.TrySetCanceled(cancelled.CancellationToken);
            }
            else
            {
                frame.TrySetException(reason);
            }
        }

        if (reason is OperationCanceledException stop)
        {
            all.TrySetCanceled(stop.CancellationToken);
        }
        else
        {
            all.TrySetException(reason);
        }
    }

    public IEnumerator<RgbImage> GetEnumerator()
    {
        for (var i = 0; i < ready.Length; i++)
        {
            yield return this[i];
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>Reading a frame of any clip, arriving or made.</summary>
public static class FrameLists
{
    /// <summary>Frame <paramref name="index"/>: awaited when the clip's frames are still arriving, at once otherwise.</summary>
    public static ValueTask<RgbImage> FrameAsync(this IReadOnlyList<RgbImage> frames, int index, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(frames);
        return frames is IArrivingFrames arriving ? arriving.WhenReady(index, cancellationToken) : ValueTask.FromResult(frames[index]);
    }
}
