using System.Threading.Channels;
using TurnLivePhotos.Engine;

namespace TurnLivePhotos.Server.Jobs;

/// <summary>
/// A job queued or running in this process: its current record (the same one the store was last given), its
/// progress, its cancellation, and who follows its changes. Views are built from here, never read back from the
/// store; a change reaches every subscriber in order, and the final one ends their streams.
/// </summary>
public sealed class LiveJob(JobRecord record, long sequence)
{
    private readonly Lock gate = new();
    private readonly List<ChannelWriter<JobView>> subscribers = [];
    private bool ended;

    public string Id => Record.Id;

    /// <summary>Order of submission, for queue positions.</summary>
    public long Sequence { get; } = sequence;

    public JobRecord Record { get; private set; } = record;

    public CancellationTokenSource Cancellation { get; } = new();

    public DateTimeOffset? StartedAt { get; private set; }

    public MotionProgress? Progress { get; private set; }

    public void Start(JobRecord running)
    {
        StartedAt = DateTimeOffset.UtcNow;
        Record = running;
    }

    public void Report(MotionProgress progress) => Progress = progress;

    public void Finish(JobRecord finished) => Record = finished;

    /// <summary>A stream of views that starts with the job's view now; already complete when the job has ended.</summary>
    /// <param name="current">Builds the view now, inside the lock, so a job ending meanwhile is seen in its final state.</param>
    public ChannelReader<JobView> Subscribe(Func<JobView> current)
    {
        ArgumentNullException.ThrowIfNull(current);
        var channel = Channel.CreateUnbounded<JobView>();
        lock (gate)
        {
            channel.Writer.TryWrite(current());
            if (ended)
            {
                channel.Writer.TryComplete();
            }
            else
            {
                subscribers.Add(channel.Writer);
            }
        }

        return channel.Reader;
    }

    /// <summary>Sends a view to every subscriber; <paramref name="last"/> ends their streams.</summary>
    public void Publish(JobView view, bool last = false)
    {
        lock (gate)
        {
            foreach (var subscriber in subscribers)
            {
                subscriber.TryWrite(view);
                if (last)
                {
                    subscriber.TryComplete();
                }
            }

            ended |= last;
            if (last)
            {
                subscribers.Clear();
            }
        }
    }
}
