using System.Collections.Concurrent;
using System.Threading.Channels;

namespace TurnLivePhotos.Server.Jobs;

/// <summary>
/// The followers of jobs in this process, for both <see cref="IJobEvents"/>: a subscriber gets the job's row as read
/// when it subscribes, then the row as read again at each <see cref="Send"/>; a finished (or deleted) job ends its
/// streams. Subscribing and sending read the row inside the job's lock, so no follower ever gets an older row after
/// a newer one, whoever sends. The row is the truth: a change seen twice is harmless, a change missed is not.
/// </summary>
public sealed class JobFollowers(Func<string, JobRecord?> read)
{
    private readonly ConcurrentDictionary<string, List<Action<JobRecord?>>> followed = new();
    private TaskCompletionSource pulse = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The jobs someone here follows.</summary>
    public ICollection<string> Ids => followed.Keys;

    /// <inheritdoc cref="IJobEvents.Subscribe"/>
    public ChannelReader<T>? Subscribe<T>(string id, Func<JobRecord, T> view)
    {
        ArgumentNullException.ThrowIfNull(view);
        var channel = Channel.CreateUnbounded<T>();
        var sinks = followed.GetOrAdd(id, _ => []);
        lock (sinks)
        {
            var record = read(id);
            if (record is null)
            {
                followed.TryRemove(new KeyValuePair<string, List<Action<JobRecord?>>>(id, sinks));
                return null;
            }

            channel.Writer.TryWrite(view(record));
            if (record.IsFinished)
            {
                channel.Writer.TryComplete();
                return channel.Reader;
            }

            sinks.Add(row =>
            {
                if (row is not null)
                {
                    channel.Writer.TryWrite(view(row));
                }

                if (row is null || row.IsFinished)
                {
                    channel.Writer.TryComplete();
                }
            });
        }

        return channel.Reader;
    }

    /// <summary>Reads the job's row and hands it to its followers (nothing is read when nobody here follows it); wakes <see cref="WaitForChangeAsync"/>.</summary>
    public void Send(string id)
    {
        if (followed.TryGetValue(id, out var sinks))
        {
            lock (sinks)
            {
                var record = read(id);
                foreach (var sink in sinks)
                {
                    sink(record);
                }

                if (record is null || record.IsFinished)
                {
                    sinks.Clear();
                    followed.TryRemove(new KeyValuePair<string, List<Action<JobRecord?>>>(id, sinks));
                }
            }
        }

        Interlocked.Exchange(ref pulse, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <inheritdoc cref="IJobEvents.WaitForChangeAsync"/>
    public async Task WaitForChangeAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await Volatile.Read(ref pulse).Task.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
        }
    }
}
