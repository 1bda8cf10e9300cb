using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Core.Conversion;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Media.Formats;

namespace TurnLivePhotos.Server.Jobs;

/// <summary>
/// Asynchronous jobs (the jobs API): a job is stored (<see cref="IJobStore"/>) on every change of state, runs
/// through the shared <see cref="GenerationQueue"/>, and while it is queued or running lives here as a
/// <see cref="LiveJob"/>, from which its views and events are built. Restarts are <see cref="JobRecovery"/>'s.
/// <c>POST /generate</c>'s GIFs are jobs too (<see cref="Run"/>): their own folder, their record, their retention.
/// </summary>
public sealed class JobManager(IJobStore store, JobFiles files, GenerationQueue queue, OutputsQuota quota, AppSettings settings, ILogger<JobManager> logger) : IJobService
{
    private static readonly IReadOnlyDictionary<OutputFormat, string> NoFiles = new Dictionary<OutputFormat, string>();

    private readonly ConcurrentDictionary<string, LiveJob> live = new();
    private long sequence;

    public TimeSpan SuggestedRetryAfter => queue.SuggestedRetryAfter;

    /// <exception cref="QueueFullException">No room in the queue (nothing is kept).</exception>
    /// <exception cref="OutputsFullException">OutputsHome has reached [StoreOptions] MaxOutputsGb (nothing is kept).</exception>
    public JobView Submit(byte[] photo, JobRequest request) => Start(photo, request, keepInput: true).View;

    /// <summary>
    /// A job whose caller waits for its run (<c>POST /generate</c>): stored and queued like any other, but its photo
    /// is not kept (nobody would collect a result run again after a restart) and the run's own result or exception
    /// is returned, so the caller can answer with the file or with the failure's status. The client leaving cancels it.
    /// </summary>
    /// <exception cref="QueueFullException">No room in the queue (nothing is kept).</exception>
    /// <exception cref="OutputsFullException">OutputsHome has reached [StoreOptions] MaxOutputsGb (nothing is kept).</exception>
    public Task<ConversionResult> Run(byte[] photo, JobRequest request, CancellationToken clientAborted)
    {
        var (view, run) = Start(photo, request, keepInput: false);
        var leaving = clientAborted.Register(() => Cancel(view.Id));
        run.ContinueWith(_ => leaving.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return run;
    }

    private (JobView View, Task<ConversionResult> Run) Start(byte[] photo, JobRequest request, bool keepInput)
    {
        quota.EnsureRoom();
        var record = new JobRecord(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), DateTimeOffset.UtcNow, JobState.Queued, request, null, NoFiles, 0, null);
        if (keepInput)
        {
            files.SaveInput(record.Id, photo);
        }

        store.Add(record);
        try
        {
            return Enqueue(record, photo);
        }
        catch (QueueFullException)
        {
            store.Delete(record.Id);
            files.Delete(record.Id);
            throw;
        }
    }

    /// <summary>Queues a stored job again after a restart; a full queue fails it.</summary>
    public void Resume(JobRecord record, byte[] photo)
    {
        ArgumentNullException.ThrowIfNull(record);
        try
        {
            _ = Enqueue(record, photo);
        }
        catch (QueueFullException)
        {
            store.Update(JobOutcome.Finished(record, JobState.Failed, "could not be queued again after a restart"));
        }
    }

    /// <summary>Cancels a queued or running job; false when it has already finished or does not exist.</summary>
    public bool Cancel(string id)
    {
        if (!live.TryGetValue(id, out var job))
        {
            return false;
        }

        job.Cancellation.Cancel();
        return true;
    }

    public JobView? View(string id) =>
        live.TryGetValue(id, out var job) ? ViewOf(job) : store.Get(id) is { } record ? JobViews.Of(record, null, null) : null;

    public JobPage List(int page, int pageSize)
    {
        var (jobs, total) = store.List(page, pageSize);
        return new JobPage(jobs.Select(record => View(record.Id) ?? JobViews.Of(record, null, null)).ToList(), page, pageSize, total);
    }

    /// <summary>The job's file for a format, or null.</summary>
    public string? FilePath(string id, OutputFormat format) =>
        store.Get(id) is { } record && record.Files.TryGetValue(format, out var name) ? files.PathOf(id, name) : null;

    /// <summary>Every change of the job as it happens, starting with its state now and ending with its final state.</summary>
    public ChannelReader<JobView>? Subscribe(string id)
    {
        if (live.TryGetValue(id, out var job))
        {
            return job.Subscribe(() => job.Record.IsFinished ? JobViews.Of(job.Record, job, null) : ViewOf(job));
        }

        if (store.Get(id) is not { } record)
        {
            return null;
        }

        var finished = Channel.CreateBounded<JobView>(1);
        finished.Writer.TryWrite(JobViews.Of(record, null, null));
        finished.Writer.TryComplete();
        return finished.Reader;
    }

    private (JobView View, Task<ConversionResult> Run) Enqueue(JobRecord record, byte[] photo)
    {
        var job = new LiveJob(record, Interlocked.Increment(ref sequence));
        var generation = new GenerationJob(record.Request.ToConversion(photo, files.Folder(record.Id), record.CreatedAt, settings.Output), job.Cancellation.Token)
        {
            OnStarted = () =>
            {
                job.Start(job.Record with { State = JobState.Running });
                store.Update(job.Record);
                job.Publish(ViewOf(job));
            },
            Progress = new SynchronousProgress<MotionProgress>(step =>
            {
                job.Report(step);
                job.Publish(ViewOf(job));
            }),
        };
        live[record.Id] = job;
        try
        {
            queue.Enqueue(generation);
        }
        catch (EngineUnavailableException ex)
        {
            logger.LogError("Job {Job} cannot run: {Reason}", record.Id, ex.Message);
            End(job, JobOutcome.Finished(record, JobState.Failed, ConversionFailure.Of(ex).Message));
            return (JobViews.Of(job.Record, null, null), Task.FromException<ConversionResult>(ex));
        }
        catch (QueueFullException)
        {
            live.TryRemove(record.Id, out _);
            throw;
        }

        generation.Completion.ContinueWith(task => Completed(job, task), TaskScheduler.Default);
        var view = ViewOf(job);
        job.Publish(view);
        return (view, generation.Completion);
    }

    private void Completed(LiveJob job, Task<ConversionResult> task)
    {
        End(job, JobOutcome.Of(job.Record, task, job.Cancellation.IsCancellationRequested, logger));
    }

    /// <summary>Stores the job's last record, sends it to its subscribers as their last event, and forgets the live job.</summary>
    private void End(LiveJob job, JobRecord last)
    {
        store.Update(last);
        job.Finish(last);
        job.Publish(JobViews.Of(last, job, null), last: true);
        live.TryRemove(job.Id, out _);
    }

    private JobView ViewOf(LiveJob job) => JobViews.Of(job.Record, job, QueuePosition(job));

    private int QueuePosition(LiveJob job) =>
        1 + live.Values.Count(other => other.StartedAt is null && other.Sequence < job.Sequence);
}
