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
    private readonly RgbImage?[] frames;
    private readonly TaskCompletionSource<RgbImage>[] ready;
    private readonly TaskCompletionSource all = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int missing;

    public ArrivingFrames(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        frames = new RgbImage?[count];
        ready = [.. Enumerable.Range(0, count).Select(_ => new TaskCompletionSource<RgbImage>(TaskCreationOptions.RunContinuationsAsynchronously))];
        missing = count;
    }

    public int Count => frames.Length;

    /// <summary>Completes when every frame is there; faults or is cancelled as the engine did.</summary>
    public Task Completion => all.Task;

    public RgbImage this[int index] => frames[index] ?? ready[index].Task.GetAwaiter().GetResult();

    public ValueTask<RgbImage> WhenReady(int index, CancellationToken cancellationToken) =>
        frames[index] is { } frame ? ValueTask.FromResult(frame) : new ValueTask<RgbImage>(ready[index].Task.WaitAsync(cancellationToken));

    /// <summary>Frame <paramref name="index"/> has arrived.</summary>
    public void Set(int index, RgbImage frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (Interlocked.CompareExchange(ref frames[index], frame, null) is not null)
        {
            throw new InvalidOperationException($"frame {index} arrived twice");
        }

        ready[index].TrySetResult(frame);
        if (Interlocked.Decrement(ref missing) == 0)
        {
            all.TrySetResult();
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
        for (var i = 0; i < frames.Length; i++)
        {
            yield return this[i];
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
