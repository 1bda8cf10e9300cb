using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Media.Formats;

namespace TurnLivePhotos.Server.Jobs;

/// <summary>
/// The jobs, for both upload routes and both stores: a job is its row in the store, which is also the queue
/// (<see cref="IJobStore.TryEnqueue"/>); its photo waits in its folder for a <see cref="JobWorker"/> (in this process,
/// or in <c>worker</c> processes with PostgreSQL). Views are read from the row, changes come from
/// <see cref="IJobEvents"/>, and a cancel is written to the row for whichever worker holds the job. The job's id is
/// made here once and names its row, its folder and its log lines.
/// </summary>
public sealed class JobService(IJobStore store, IJobEvents events, JobFiles files, OutputsQuota quota, AppSettings settings, ILogger<JobService> logger) : IJobService
{
    /// <summary>A guess per queued job for Retry-After: how long a job takes is the workers' business, not known here.</summary>
    private static readonly TimeSpan PerQueuedJob = TimeSpan.FromSeconds(10);

    private static readonly IReadOnlyDictionary<OutputFormat, string> NoFiles = new Dictionary<OutputFormat, string>();

    public TimeSpan SuggestedRetryAfter =>
        TimeSpan.FromSeconds(Math.Clamp(PerQueuedJob.TotalSeconds * (store.QueuedCount() + 1), 1, 600));

    public int QueuedCount => store.QueuedCount();

    public JobView Submit(byte[] photo, string? photoName, JobRequest request)
    {
        var record = Enqueue(photo, photoName, request);
        return View(record.Id) ?? JobViews.Of(record, 1);
    }

    public async Task<JobRecord?> RunAsync(byte[] photo, string? photoName, JobRequest request, CancellationToken clientAborted)
    {
        var record = Enqueue(photo, photoName, request);
        var last = record;
        try
        {
            // Null only when the row is already gone (deleted by hand): the job never ends, as far as anyone can tell.
            var rows = events.Subscribe(record.Id, row => row) ?? throw new InvalidOperationException($"job {record.Id} vanished from the store");
            await foreach (var row in rows.ReadAllAsync(clientAborted))
            {
                last = row;
            }
        }
        catch (OperationCanceledException) when (clientAborted.IsCancellationRequested)
        {
            logger.LogInformation("Job {Job}: its client left; canceled", record.Id);
            Cancel(record.Id);
            return null;
        }

        files.DeleteInput(record.Id);
        return last;
    }

    public JobView? View(string id) => store.Get(id) is { } record ? ViewOf(record) : null;

    public JobPage List(int page, int pageSize)
    {
        var (jobs, total) = store.List(page, pageSize);
        return new JobPage(jobs.Select(ViewOf).ToList(), page, pageSize, total);
    }

    public bool Cancel(string id)
    {
        var outcome = store.RequestCancel(id);
        if (outcome == CancelOutcome.CanceledWhileQueued)
        {
            files.DeleteInput(id);
        }

        events.Changed(id);
        return outcome is CancelOutcome.CanceledWhileQueued or CancelOutcome.Requested;
    }

    public ChannelReader<JobView>? Subscribe(string id) => events.Subscribe(id, ViewOf);

    public string? FilePath(string id, OutputFormat format) =>
        store.Get(id) is { State: JobState.Succeeded or JobState.Failed } record && record.Files.TryGetValue(format, out var name) ? files.PathOf(id, name) : null;

    /// <summary>Stores a new queued job, its photo in place before the row makes it visible to a worker.</summary>
    private JobRecord Enqueue(byte[] photo, string? photoName, JobRequest request)
    {
        ArgumentNullException.ThrowIfNull(photo);
        ArgumentNullException.ThrowIfNull(request);
        quota.EnsureRoom();
        var record = new JobRecord(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), DateTimeOffset.UtcNow, JobState.Queued, request, null, NoFiles, 0, null)
        {
            PhotoName = PhotoName.FromUpload(photoName),
        };
        files.SaveInput(record.Id, photo);
        if (!store.TryEnqueue(record, settings.Web.MaxQueuedJobs))
        {
            files.Delete(record.Id);
            throw new QueueFullException(SuggestedRetryAfter);
        }

        logger.LogInformation("Job {Job} queued: {Photo} by {Engine} as {Formats}", record.Id, record.PhotoName, request.Engine, string.Join(",", request.Formats));
        events.Changed(record.Id);
        return record;
    }

    private JobView ViewOf(JobRecord record) => JobViews.Of(record, record.State == JobState.Queued ? store.QueuePosition(record.Id) : null);
}
