using TurnLivePhotos.Engine;

namespace TurnLivePhotos.Server.Jobs;

/// <summary>
/// The persistent job list and the queue, the one place a job's state lives. Two implementations:
/// <see cref="SqliteJobStore"/> (one process, the default) and <see cref="Postgres.PostgresJobStore"/> (a web front and
/// workers on several machines). The queue (<see cref="TryEnqueue"/> … <see cref="ExpireLeases"/>): a
/// <see cref="JobWorker"/> claims the oldest queued job, holds it under a lease it renews, and finishes it; a lease
/// that runs out puts the job back once, then fails it (<see cref="InterruptionRule"/>), which is also how jobs
/// interrupted by a restart are recovered.
/// </summary>
public interface IJobStore
{
    void Add(JobRecord job);

    void Update(JobRecord job);

    JobRecord? Get(string id);

    /// <summary>Newest first.</summary>
    (IReadOnlyList<JobRecord> Jobs, int Total) List(int page, int pageSize);

    /// <summary>Oldest first.</summary>
    IReadOnlyList<JobRecord> InState(JobState state);

    IReadOnlyList<JobRecord> FinishedBefore(DateTimeOffset cutoff);

    void Delete(string id);

    /// <summary>Adds a queued job unless <paramref name="maxQueued"/> jobs are already queued (counted in the store, atomically); false keeps nothing.</summary>
    bool TryEnqueue(JobRecord job, int maxQueued);

    /// <summary>Jobs waiting for a worker, across every process.</summary>
    int QueuedCount();

    /// <summary>1 for the next job a worker takes; null when the job is not queued.</summary>
    int? QueuePosition(string id);

    /// <summary>Takes the oldest queued job for <paramref name="worker"/> (running, leased for <paramref name="lease"/>); null when none waits. No job is taken twice.</summary>
    JobRecord? Claim(string worker, TimeSpan lease);

    /// <summary>Renews the worker's lease and records its progress (null keeps the last one).</summary>
    LeaseState Renew(string id, string worker, TimeSpan lease, MotionProgress? progress);

    /// <summary>Stores the worker's last record of the job (finished, or queued again when the worker stops) and frees the lease; false when the worker no longer holds it.</summary>
    bool Finish(string worker, JobRecord last);

    /// <summary>A queued job is canceled at once (it never starts); a running one is marked, and its worker stops at its next step.</summary>
    CancelOutcome RequestCancel(string id);

    /// <summary>Running jobs whose lease ran out: queued again after the first interruption, failed after the second (canceled when a cancel was asked). Returns them as changed.</summary>
    /// <param name="everyRunningJob">Every running job counts as interrupted, whatever its lease: only for the one process of a SQLite store, at its start.</param>
    IReadOnlyList<JobRecord> ExpireLeases(bool everyRunningJob = false);
}

/// <summary>What a worker learns when it renews its lease.</summary>
public enum LeaseState
{
    Held,
    CancelRequested,

    /// <summary>The job is no longer this worker's (its lease expired and another process took over, or it was deleted).</summary>
    Lost,
}

/// <summary>What a cancel did.</summary>
public enum CancelOutcome
{
    NotFound,
    AlreadyFinished,
    CanceledWhileQueued,
    Requested,
}
