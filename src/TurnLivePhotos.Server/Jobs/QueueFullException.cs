namespace TurnLivePhotos.Server.Jobs;

/// <summary>The queue refused a job because <c>[WebOptions] MaxQueuedJobs</c> jobs are already waiting (nothing was kept).</summary>
public sealed class QueueFullException(TimeSpan retryAfter) : Exception("the queue is full")
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}
