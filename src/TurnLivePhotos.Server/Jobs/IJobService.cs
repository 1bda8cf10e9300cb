using System.Threading.Channels;
using TurnLivePhotos.Media.Formats;

namespace TurnLivePhotos.Server.Jobs;

/// <summary>What the web endpoints ask of the jobs (<see cref="JobService"/>), whichever store keeps them and whoever runs them.</summary>
public interface IJobService
{
    /// <param name="photoName">The uploaded file's name as the client sent it (made safe here, <see cref="PhotoName"/>).</param>
    /// <exception cref="QueueFullException">No room in the queue (nothing is kept).</exception>
    /// <exception cref="OutputsFullException">OutputsHome has reached [StoreOptions] MaxOutputsGb (nothing is kept).</exception>
    JobView Submit(byte[] photo, string? photoName, JobRequest request);

    /// <summary>
    /// Submits a job and waits for it to end (<c>POST /generate</c>); its photo is deleted then, since nobody would
    /// collect a result run again. <paramref name="clientAborted"/> cancels the job.
    /// </summary>
    /// <returns>The job's last record, or null when the client went away first.</returns>
    /// <exception cref="QueueFullException">No room in the queue (nothing is kept).</exception>
    /// <exception cref="OutputsFullException">OutputsHome has reached [StoreOptions] MaxOutputsGb (nothing is kept).</exception>
    Task<JobRecord?> RunAsync(byte[] photo, string? photoName, JobRequest request, CancellationToken clientAborted);

    JobView? View(string id);

    JobPage List(int page, int pageSize);

    /// <summary>Cancels a queued or running job; false when it has already finished or does not exist.</summary>
    bool Cancel(string id);

    /// <summary>Every change of the job as it happens, starting with its state now and ending with its final state; null for no such job.</summary>
    ChannelReader<JobView>? Subscribe(string id);

    /// <summary>The job's file for a format, or null.</summary>
    string? FilePath(string id, OutputFormat format);

    /// <summary>Jobs waiting for a worker, in every process.</summary>
    int QueuedCount { get; }

    /// <summary>When a client refused for a full queue should try again.</summary>
    TimeSpan SuggestedRetryAfter { get; }
}
