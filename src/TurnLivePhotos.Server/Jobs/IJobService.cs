using System.Threading.Channels;
using TurnLivePhotos.Media.Formats;

namespace TurnLivePhotos.Server.Jobs;

/// <summary>
/// What the jobs API asks of the jobs, whoever runs them: <see cref="JobManager"/> (this process runs them, through
/// the in-memory <see cref="GenerationQueue"/>; the SQLite default) or <see cref="SharedJobService"/> (workers take
/// them from a shared PostgreSQL store; this process may be one of them).
/// </summary>
public interface IJobService
{
    /// <exception cref="QueueFullException">No room in the queue (nothing is kept).</exception>
    /// <exception cref="OutputsFullException">OutputsHome has reached [StoreOptions] MaxOutputsGb (nothing is kept).</exception>
    JobView Submit(byte[] photo, JobRequest request);

    JobView? View(string id);

    JobPage List(int page, int pageSize);

    /// <summary>Cancels a queued or running job; false when it has already finished or does not exist.</summary>
    bool Cancel(string id);

    /// <summary>Every change of the job as it happens, starting with its state now and ending with its final state; null for no such job.</summary>
    ChannelReader<JobView>? Subscribe(string id);

    /// <summary>The job's file for a format, or null.</summary>
    string? FilePath(string id, OutputFormat format);

    /// <summary>When a client refused for a full queue should try again.</summary>
    TimeSpan SuggestedRetryAfter { get; }
}
