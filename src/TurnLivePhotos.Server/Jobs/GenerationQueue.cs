using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TurnLivePhotos.Core.Conversion;
using TurnLivePhotos.Engine;

namespace TurnLivePhotos.Server.Jobs;

/// <summary>The queue refused a job because it is full.</summary>
public sealed class QueueFullException(TimeSpan retryAfter) : Exception("the queue is full")
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}

/// <summary>
/// A bounded queue in front of the engines: one lane (and one worker) per engine, so a GPU is never shared by two
/// jobs, and at most <c>MaxQueuedJobs</c> jobs waiting across all lanes. Each run is bounded by <see cref="JobRun"/>:
/// a cancel, the process stopping or the job's time limit ends the job at once, and the lane moves on.
/// </summary>
public sealed class GenerationQueue : BackgroundService
{
    private static readonly TimeSpan InitialJobEstimate = TimeSpan.FromSeconds(10);

    private readonly PhotoConverter converter;
    private readonly int maxQueued;
    private readonly TimeSpan jobTimeout;
    private readonly bool reportProgress;
    private readonly ILogger<GenerationQueue> logger;
    private readonly Dictionary<string, Channel<GenerationJob>> lanes;
    private int queued;
    private long averageJobTicks = InitialJobEstimate.Ticks;

    /// <param name="jobTimeout">The wall-clock limit of one run (<c>[WebOptions] JobTimeoutMinutes</c>).</param>
    public GenerationQueue(PhotoConverter converter, int maxQueued, TimeSpan jobTimeout, bool reportProgress, ILogger<GenerationQueue> logger)
    {
        this.converter = converter;
        this.maxQueued = maxQueued;
        this.jobTimeout = jobTimeout;
        this.reportProgress = reportProgress;
        this.logger = logger;
        lanes = converter.Engines.All.ToDictionary(
            engine => engine.Name,
            _ => Channel.CreateUnbounded<GenerationJob>(new UnboundedChannelOptions { SingleReader = true }));
    }

    /// <summary>Jobs waiting for an engine (not counting the ones running).</summary>
    public int QueuedCount => Volatile.Read(ref queued);

    public int Capacity => maxQueued;

    /// <summary>A guess at when a refused client should try again: the jobs ahead times the recent job duration.</summary>
    public TimeSpan SuggestedRetryAfter
    {
        get
        {
            var seconds = TimeSpan.FromTicks(Interlocked.Read(ref averageJobTicks)).TotalSeconds * (QueuedCount + 1) / Math.Max(1, lanes.Count);
            return TimeSpan.FromSeconds(Math.Clamp(Math.Ceiling(seconds), 1, 600));
        }
    }

    /// <summary>Adds a job to its engine's lane.</summary>
    /// <exception cref="EngineUnavailableException">The job asks for an engine that cannot run here.</exception>
    /// <exception cref="QueueFullException">No room in the queue.</exception>
    public void Enqueue(GenerationJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        job.Engine = converter.Engines.Resolve(job.Request.Engine);
        if (!TryTakeSlot())
        {
            throw new QueueFullException(SuggestedRetryAfter);
        }

        job.ClientAborted.Register(() =>
        {
            if (job.TryDrop())
            {
                Interlocked.Decrement(ref queued);
                job.CompletionSource.TrySetCanceled(job.ClientAborted);
                logger.LogInformation("Job {Job} dropped: its client left while it was queued", job.Id);
            }
        });
        lanes[job.Engine.Engine.Name].Writer.TryWrite(job);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(lanes.Values.Select(lane => Task.Run(() => RunLaneAsync(lane.Reader, stoppingToken), stoppingToken)));

    private bool TryTakeSlot()
    {
        while (true)
        {
            var current = Volatile.Read(ref queued);
            if (current >= maxQueued)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref queued, current + 1, current) == current)
            {
                return true;
            }
        }
    }

    private async Task RunLaneAsync(ChannelReader<GenerationJob> lane, CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var job in lane.ReadAllAsync(stoppingToken))
            {
                if (!job.TryStart())
                {
                    continue;
                }

                Interlocked.Decrement(ref queued);
                await RunJobAsync(job, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task RunJobAsync(GenerationJob job, CancellationToken stoppingToken)
    {
        using var bounds = new JobRun(jobTimeout, job.ClientAborted, stoppingToken);
        try
        {
            job.OnStarted?.Invoke();
            var progress = new SynchronousProgress<MotionProgress>(step =>
            {
                job.Progress?.Report(step);
                if (reportProgress)
                {
                    logger.LogInformation("Job {Job}: {Stage} {Step}/{Total}", job.Id, step.Stage, step.Step, step.TotalSteps);
                }
            });
            var result = await bounds.RunAsync(token => converter.ConvertAsync(job.Request, job.Engine!, progress, token));
            RecordDuration(result.Elapsed);
            job.CompletionSource.TrySetResult(result);
        }
        catch (OperationCanceledException ex)
        {
            logger.LogInformation("Job {Job} canceled while running", job.Id);
            job.CompletionSource.TrySetCanceled(ex.CancellationToken);
        }
        catch (JobTimedOutException ex)
        {
            logger.LogWarning("Job {Job}: {Reason}", job.Id, ex.Message);
            job.CompletionSource.TrySetException(ex);
        }
        catch (Exception ex)
        {
            job.CompletionSource.TrySetException(ex);
        }

        await bounds.LetUnwindAsync(job.Id, logger);
    }

    private void RecordDuration(TimeSpan elapsed)
    {
        var previous = Interlocked.Read(ref averageJobTicks);
        Interlocked.Exchange(ref averageJobTicks, (previous * 3 + elapsed.Ticks) / 4);
    }
}
