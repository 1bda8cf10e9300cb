using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Core.Conversion;
using TurnLivePhotos.Engine;

namespace TurnLivePhotos.Server.Jobs;

/// <summary>
/// The one worker, for both stores: inside <c>serve</c> with SQLite or PostgreSQL, and in <c>worker</c> processes with
/// PostgreSQL. It takes the oldest queued job (<see cref="IJobStore.Claim"/>), runs it with this machine's engines, one
/// job at a time (so a GPU is never shared by two jobs), and holds it under a lease that its progress events and a
/// heartbeat renew. A cancel reaches it as soon as <see cref="IJobEvents"/> announce the row's change, and each renewal
/// says so too in case the announcement was lost. The run is bounded by <see cref="JobRun"/> (the cancel, this process
/// stopping, <c>[WebOptions] JobTimeoutMinutes</c>), so a stage that ignores its token cannot hold the worker. When
/// this process stops, a running job is given back to the queue (not counted as an interruption).
/// Recovery is lease expiry: every worker expires the leases of vanished workers in passing; with SQLite this process
/// is the store's only worker, so at start every job still running was a dead process's and is expired at once.
/// </summary>
public sealed class JobWorker(
    IJobStore store, IJobEvents events, JobFiles files, PhotoConverter converter, AppSettings settings, ServerOptions options, ILogger<JobWorker> logger) : BackgroundService
{
    /// <summary>How long the worker waits for a change before looking at the queue (and at expired leases) again.</summary>
    private static readonly TimeSpan IdleWait = TimeSpan.FromSeconds(1);

    public string WorkerId { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..6]}";

    private TimeSpan Lease => TimeSpan.FromSeconds(settings.Store.LeaseSeconds);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (settings.Store.JobStore.Kind == JobStoreKind.Sqlite)
        {
            Expire(store.ExpireLeases(everyRunningJob: true));
        }

        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        logger.LogInformation("Worker {Worker} takes jobs (lease {Lease} s)", WorkerId, settings.Store.LeaseSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            JobRecord? job = null;
            try
            {
                Expire(store.ExpireLeases());
                job = store.Claim(WorkerId, Lease);
            }
            catch (Exception ex) when (IsStoreUnreachable(ex))
            {
                logger.LogWarning("Worker {Worker}: the job store cannot be reached ({Reason})", WorkerId, ex.Message);
            }

            if (job is null)
            {
                await events.WaitForChangeAsync(IdleWait, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                continue;
            }

            // Every line logged while the job runs (the converter's and the engine's too) carries its id.
            using (logger.BeginScope("job {Job}", job.Id))
            {
                await RunAsync(job, stoppingToken);
            }
        }
    }

    private static bool IsStoreUnreachable(Exception ex) =>
        ex is Npgsql.NpgsqlException or Microsoft.Data.Sqlite.SqliteException or TimeoutException or IOException;

    private void Expire(IReadOnlyList<JobRecord> expired)
    {
        foreach (var job in expired)
        {
            logger.LogWarning("Job {Job}: its worker stopped answering; now {State}", job.Id, job.State);
            if (job.IsFinished)
            {
                files.DeleteInput(job.Id);
            }

            events.Changed(job.Id);
        }
    }

    private async Task RunAsync(JobRecord job, CancellationToken stoppingToken)
    {
        logger.LogInformation("Worker {Worker} runs job {Job}", WorkerId, job.Id);
        events.Changed(job.Id);
        using var canceled = new CancellationTokenSource();
        using var bounds = new JobRun(settings.Web.JobTimeout, canceled.Token, stoppingToken);
        var lost = false;

        void Apply(LeaseState state)
        {
            if (state == LeaseState.CancelRequested)
            {
                canceled.Cancel();
            }
            else if (state == LeaseState.Lost)
            {
                lost = true;
                canceled.Cancel();
            }
        }

        // The engine never waits for the store: it leaves its latest step here, and one loop stores whatever is
        // latest when the previous write is done (a SQLite commit can take longer than a classic engine's frame).
        var steps = Channel.CreateBounded<MotionProgress>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

        void Report(MotionProgress progress)
        {
            if (options.ReportProgress)
            {
                logger.LogInformation("Job {Job}: {Stage} {Step}/{Total}", job.Id, progress.Stage, progress.Step, progress.TotalSteps);
            }

            steps.Writer.TryWrite(progress);
        }

        void Renew(MotionProgress? progress)
        {
            try
            {
                Apply(store.Renew(job.Id, WorkerId, Lease, progress));
                if (progress is not null)
                {
                    events.Changed(job.Id);
                }
            }
            catch (Exception ex) when (IsStoreUnreachable(ex))
            {
                // The lease still runs; the next renewal tries again.
                logger.LogWarning("Job {Job}: lease not renewed ({Reason})", job.Id, ex.Message);
            }
        }

        using var heartbeat = new Timer(_ => Renew(null), null, Lease / 3, Lease / 3);
        var storing = Task.Run(async () =>
        {
            await foreach (var step in steps.Reader.ReadAllAsync(CancellationToken.None))
            {
                try
                {
                    Renew(step);
                }
                catch (Exception ex)
                {
                    // A follower's failure must not end the worker; the job runs on, its progress unseen for a step.
                    logger.LogWarning(ex, "Job {Job}: progress not stored", job.Id);
                }
            }
        }, CancellationToken.None);
        using var following = new CancellationTokenSource();
        var watching = WatchForCancelAsync(job.Id, canceled, following.Token);
        Task<ConversionResult> conversion;
        if (files.ReadInput(job.Id) is not { } input)
        {
            conversion = Task.FromException<ConversionResult>(new InvalidDataException("its photo is gone from the outputs folder"));
        }
        else
        {
            try
            {
                var request = job.Request.ToConversion(await File.ReadAllBytesAsync(input, bounds.Token), files.Folder(job.Id), job.PhotoName, settings.Output);
                var engine = converter.Engines.Resolve(job.Request.Engine);
                conversion = Task.FromResult(await bounds.RunAsync(token => converter.ConvertAsync(request, engine, new SynchronousProgress<MotionProgress>(Report), token)));
            }
            catch (OperationCanceledException ex) when (bounds.Token.IsCancellationRequested)
            {
                conversion = Task.FromCanceled<ConversionResult>(ex.CancellationToken.IsCancellationRequested ? ex.CancellationToken : bounds.Token);
            }
            catch (Exception ex)
            {
                conversion = Task.FromException<ConversionResult>(ex);
            }
        }

        steps.Writer.TryComplete();
        await storing;
        await heartbeat.DisposeAsync();
        await following.CancelAsync();
        await watching;
        if (lost)
        {
            logger.LogWarning("Job {Job}: worker {Worker} lost its lease; the job is another worker's now", job.Id, WorkerId);
        }
        else
        {
            Finish(JobOutcome.Of(job, conversion, canceled.IsCancellationRequested, logger));
        }

        await bounds.LetUnwindAsync(job.Id, logger);
    }

    /// <summary>Stores the job's last record (its photo goes once the job has ended) and announces it.</summary>
    private void Finish(JobRecord last)
    {
        try
        {
            if (!store.Finish(WorkerId, last))
            {
                logger.LogWarning("Job {Job}: finished by worker {Worker} after its lease ran out; result not recorded", last.Id, WorkerId);
                return;
            }
        }
        catch (Exception ex) when (IsStoreUnreachable(ex))
        {
            // The lease runs out and another worker runs the job again.
            logger.LogWarning("Job {Job}: its end could not be recorded ({Reason})", last.Id, ex.Message);
            return;
        }

        logger.LogInformation("Worker {Worker} ended job {Job}: {State}", WorkerId, last.Id, last.State);
        if (last.IsFinished)
        {
            files.DeleteInput(last.Id);
        }

        events.Changed(last.Id);
    }

    /// <summary>Cancels the run as soon as the job's row says someone asked to.</summary>
    private async Task WatchForCancelAsync(string id, CancellationTokenSource canceled, CancellationToken stop)
    {
        if (events.Subscribe(id, row => row.CancelRequested) is not { } rows)
        {
            return;
        }

        try
        {
            await foreach (var cancelRequested in rows.ReadAllAsync(stop))
            {
                if (cancelRequested)
                {
                    await canceled.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }
}
