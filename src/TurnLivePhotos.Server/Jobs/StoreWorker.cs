using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Core.Conversion;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Server.Jobs.Postgres;

namespace TurnLivePhotos.Server.Jobs;

/// <summary>
/// A worker of a shared store (<c>turn-live-photos worker</c>, or inside <c>serve</c>): takes the oldest queued job
/// (<see cref="IJobStore.Claim"/>), runs it with this machine's engines, and holds it under a lease that its progress
/// events and a heartbeat renew. A cancel reaches the worker as soon as the store announces it (the job's row, through
/// <see cref="PostgresJobEvents"/>), and each renewal says so too in case the announcement was lost. The run is bounded
/// by <see cref="JobRun"/> (the cancel, this process stopping, <c>[WebOptions] JobTimeoutMinutes</c>), so a stage that
/// ignores its token cannot hold the worker. Leases of vanished workers are expired by every worker in passing. When
/// this process stops, a running job is given back to the queue (not counted as an interruption).
/// </summary>
public sealed class StoreWorker(
    IJobStore store, JobFiles files, PhotoConverter converter, PostgresJobEvents events, AppSettings settings, ServerOptions options, ILogger<StoreWorker> logger) : BackgroundService
{
    /// <summary>How long the worker waits for a notification before looking at the queue (and at expired leases) again.</summary>
    private static readonly TimeSpan IdleWait = TimeSpan.FromSeconds(1);

    public string WorkerId { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..6]}";

    private TimeSpan Lease => TimeSpan.FromSeconds(settings.Store.LeaseSeconds);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        logger.LogInformation("Worker {Worker} takes jobs (lease {Lease} s)", WorkerId, settings.Store.LeaseSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            JobRecord? job = null;
            try
            {
                foreach (var expired in store.ExpireLeases())
                {
                    logger.LogWarning("Job {Job}: its worker stopped answering; now {State}", expired.Id, expired.State);
                }

                job = store.Claim(WorkerId, Lease);
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException or IOException)
            {
                logger.LogWarning("Worker {Worker}: the job store cannot be reached ({Reason})", WorkerId, ex.Message);
            }

            if (job is null)
            {
                await events.WaitForChangeAsync(IdleWait, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                continue;
            }

            await RunAsync(job, stoppingToken);
        }
    }

    private async Task RunAsync(JobRecord job, CancellationToken stoppingToken)
    {
        logger.LogInformation("Worker {Worker} runs job {Job}", WorkerId, job.Id);
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

        void Renew(MotionProgress? progress)
        {
            if (progress is not null && options.ReportProgress)
            {
                logger.LogInformation("Job {Job}: {Stage} {Step}/{Total}", job.Id, progress.Stage, progress.Step, progress.TotalSteps);
            }

            try
            {
                Apply(store.Renew(job.Id, WorkerId, Lease, progress));
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException or IOException)
            {
                // The lease still runs; the next renewal tries again.
                logger.LogWarning("Job {Job}: lease not renewed ({Reason})", job.Id, ex.Message);
            }
        }

        using var heartbeat = new Timer(_ => Renew(null), null, Lease / 3, Lease / 3);
        using var following = new CancellationTokenSource();
        var watching = WatchForCancelAsync(job.Id, canceled, following.Token);
        Task<ConversionResult> conversion;
        if (files.ReadInput(job.Id) is not { } input)
        {
            conversion = Task.FromException<ConversionResult>(new InvalidDataException("its photo is gone from the shared outputs folder"));
        }
        else
        {
            try
            {
                var request = job.Request.ToConversion(await File.ReadAllBytesAsync(input, bounds.Token), files.Folder(job.Id), job.CreatedAt, settings.Output);
                var engine = converter.Engines.Resolve(job.Request.Engine);
                conversion = Task.FromResult(await bounds.RunAsync(token => converter.ConvertAsync(request, engine, new SynchronousProgress<MotionProgress>(Renew), token)));
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

        await heartbeat.DisposeAsync();
        await following.CancelAsync();
        await watching;
        if (lost)
        {
            logger.LogWarning("Job {Job}: worker {Worker} lost its lease; the job is another worker's now", job.Id, WorkerId);
        }
        else
        {
            var last = JobOutcome.Of(job, conversion, canceled.IsCancellationRequested, logger);
            if (store.Finish(WorkerId, last))
            {
                logger.LogInformation("Worker {Worker} ended job {Job}: {State}", WorkerId, job.Id, last.State);
            }
            else
            {
                logger.LogWarning("Job {Job}: finished by worker {Worker} after its lease ran out; result not recorded", job.Id, WorkerId);
            }
        }

        await bounds.LetUnwindAsync(job.Id, logger);
    }

    /// <summary>Cancels the run as soon as the job's row says someone asked to (the store announces every change of it).</summary>
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
