using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace TurnLivePhotos.Server.Jobs.Postgres;

/// <summary>
/// Job changes across processes: one connection per process runs <c>LISTEN tlp_jobs</c> (the table's trigger
/// notifies every change with the job's id, whichever process made it). For each notified job that someone follows
/// here, the job's row is read and sent to the followers (<see cref="JobFollowers"/>), the row being the truth: after
/// a lost connection every followed row is read again, so nothing missed while disconnected stays missed. Workers
/// wait on <see cref="WaitForChangeAsync"/> instead of polling the queue.
/// Rejected: sending the view in the notification's payload (8000 bytes at most, and a reconnecting client would
/// still need the row), and polling the table (the delay or the load grows with the number of followers).
/// </summary>
public sealed class PostgresJobEvents(PostgresJobStore store, ILogger<PostgresJobEvents> logger) : BackgroundService, IJobEvents
{
    private static readonly TimeSpan ReconnectDelay = TimeSpan.FromSeconds(1);

    private readonly JobFollowers followers = new(store.Get);
    private readonly Channel<string> changed = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>True while the LISTEN connection is up (a reconnect re-reads every followed job).</summary>
    public bool Listening { get; private set; }

    public ChannelReader<T>? Subscribe<T>(string id, Func<JobRecord, T> view) => followers.Subscribe(id, view);

    /// <summary>Nothing to do: the table's trigger announces every change, this process's included.</summary>
    public void Changed(string id)
    {
    }

    public Task WaitForChangeAsync(TimeSpan timeout, CancellationToken cancellationToken) => followers.WaitForChangeAsync(timeout, cancellationToken);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Task.Run(() => ListenAsync(stoppingToken), stoppingToken), Task.Run(() => SendAsync(stoppingToken), stoppingToken));

    private async Task ListenAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await store.Database.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, notification) => changed.Writer.TryWrite(notification.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {PostgresMigrations.Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                Listening = true;
                foreach (var id in followers.Ids)
                {
                    changed.Writer.TryWrite(id);
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

    /// <summary>Reads each notified row that someone follows and sends it; the final state ends the streams.</summary>
    private async Task SendAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var id in changed.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    followers.Send(id);
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
}
