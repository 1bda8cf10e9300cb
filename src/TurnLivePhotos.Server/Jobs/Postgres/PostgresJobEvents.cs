using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace TurnLivePhotos.Server.Jobs.Postgres;

/// <summary>
/// Job changes across processes: one connection per process runs <c>LISTEN tlp_jobs</c> (the table's trigger
/// notifies every change with the job's id, whichever process made it). For each notified job that someone follows
/// here, the job's row is read and its view sent to the followers, the row being the truth: a follower gets the row
/// first when it subscribes, and after a lost connection every followed row is read again, so nothing missed while
/// disconnected stays missed. Workers wait on <see cref="WaitForChangeAsync"/> instead of polling the queue.
/// Rejected: sending the view in the notification's payload (8000 bytes at most, and a reconnecting client would
/// still need the row), and polling the table (the delay or the load grows with the number of followers).
/// </summary>
public sealed class PostgresJobEvents(PostgresJobStore store, ILogger<PostgresJobEvents> logger) : BackgroundService
{
    private static readonly TimeSpan ReconnectDelay = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, Followers> followed = new();
    private readonly Channel<string> changed = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private TaskCompletionSource pulse = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>True while the LISTEN connection is up (a reconnect re-reads every followed job).</summary>
    public bool Listening { get; private set; }

    /// <summary>A stream of the job's views (or of anything else read from its row), starting with its row now; null when there is no such job.</summary>
    public ChannelReader<T>? Subscribe<T>(string id, Func<JobRecord, T> view)
    {
        ArgumentNullException.ThrowIfNull(view);
        var channel = Channel.CreateUnbounded<T>();
        var followers = followed.GetOrAdd(id, _ => new Followers());
        lock (followers)
        {
            var record = store.Get(id);
            if (record is null)
            {
                followed.TryRemove(new KeyValuePair<string, Followers>(id, followers));
                return null;
            }

            channel.Writer.TryWrite(view(record));
            if (record.IsFinished)
            {
                channel.Writer.TryComplete();
            }
            else
            {
                followers.Add(row =>
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
        }

        return channel.Reader;
    }

    /// <summary>Completes at the next change of any job (or after <paramref name="timeout"/>).</summary>
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

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Task.Run(() => ListenAsync(stoppingToken), stoppingToken), Task.Run(() => SendAsync(stoppingToken), stoppingToken));

    private async Task ListenAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await store.Database.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, notification) => Changed(notification.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {PostgresMigrations.Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                Listening = true;
                foreach (var id in followed.Keys)
                {
                    Changed(id);
                }

                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException)
            {
                logger.LogWarning("Job events: connection lost ({Reason}); reconnecting", ex.Message);
                Listening = false;
                await Task.Delay(ReconnectDelay, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private void Changed(string id)
    {
        changed.Writer.TryWrite(id);
        Interlocked.Exchange(ref pulse, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>Reads each notified row that someone follows and sends its view; the final state ends the streams.</summary>
    private async Task SendAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var id in changed.Reader.ReadAllAsync(stoppingToken))
            {
                if (!followed.TryGetValue(id, out var followers))
                {
                    continue;
                }

                try
                {
                    lock (followers)
                    {
                        var record = store.Get(id);
                        followers.Send(record);
                        if (record is null || record.IsFinished)
                        {
                            followed.TryRemove(id, out _);
                        }
                    }
                }
                catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
                {
                    logger.LogWarning("Job events: job {Job} could not be read ({Reason}); it is read again on reconnect", id, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Who follows one job here, each as what it does with the job's row (null when the job is gone).</summary>
    private sealed class Followers
    {
        private readonly List<Action<JobRecord?>> sinks = [];

        public void Add(Action<JobRecord?> sink) => sinks.Add(sink);

        /// <summary>Sends the row to everyone; a finished (or deleted) job ends their streams.</summary>
        public void Send(JobRecord? record)
        {
            foreach (var sink in sinks)
            {
                sink(record);
            }

            if (record is null || record.IsFinished)
            {
                sinks.Clear();
            }
        }
    }
}
