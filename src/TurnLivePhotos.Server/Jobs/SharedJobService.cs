using System.Security.Cryptography;
using System.Threading.Channels;
using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Media.Formats;
using TurnLivePhotos.Server.Jobs.Postgres;

namespace TurnLivePhotos.Server.Jobs;

/// <summary>
/// The jobs API over a store that workers share: a job is queued in the store (its photo in the shared OutputsHome),
/// every view is read from the job's row, events come from <see cref="PostgresJobEvents"/>, and a cancel is written
/// to the row for whichever worker holds the job. Nothing about a job lives only in this process, so a web front can
/// restart, or several can run, without losing anything.
/// </summary>
public sealed class SharedJobService(IJobStore store, JobFiles files, PostgresJobEvents events, OutputsQuota quota, AppSettings settings) : IJobService
{
    /// <summary>A guess per queued job for Retry-After: a worker's job time is not known here.</summary>
    private static readonly TimeSpan PerQueuedJob = TimeSpan.FromSeconds(10);

    private static readonly IReadOnlyDictionary<OutputFormat, string> NoFiles = new Dictionary<OutputFormat, string>();

    public TimeSpan SuggestedRetryAfter =>
        TimeSpan.FromSeconds(Math.Clamp(PerQueuedJob.TotalSeconds * (store.QueuedCount() + 1), 1, 600));

    public JobView Submit(byte[] photo, JobRequest request)
    {
        quota.EnsureRoom();
        var record = new JobRecord(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), DateTimeOffset.UtcNow, JobState.Queued, request, null, NoFiles, 0, null);

        // The photo is in place (written atomically) before the row makes the job visible to a worker.
        files.SaveInput(record.Id, photo);
        if (!store.TryEnqueue(record, settings.Web.MaxQueuedJobs))
        {
            files.Delete(record.Id);
            throw new QueueFullException(SuggestedRetryAfter);
        }

        return View(record.Id) ?? JobViews.Of(record, 1);
    }

    public JobView? View(string id) => store.Get(id) is { } record ? ViewOf(record) : null;

    public JobPage List(int page, int pageSize)
    {
        var (jobs, total) = store.List(page, pageSize);
        return new JobPage(jobs.Select(ViewOf).ToList(), page, pageSize, total);
    }

    public bool Cancel(string id) => store.RequestCancel(id) is CancelOutcome.CanceledWhileQueued or CancelOutcome.Requested;

    public ChannelReader<JobView>? Subscribe(string id) => events.Subscribe(id, ViewOf);

    public string? FilePath(string id, OutputFormat format) =>
        store.Get(id) is { State: JobState.Succeeded or JobState.Failed } record && record.Files.TryGetValue(format, out var name) ? files.PathOf(id, name) : null;

    private JobView ViewOf(JobRecord record) => JobViews.Of(record, record.State == JobState.Queued ? store.QueuePosition(record.Id) : null);
}
