using TurnLivePhotos.Engine;

namespace TurnLivePhotos.Server.Jobs;

/// <summary>
/// The persistent job list. Written on every change of state and read for jobs that are not live in this process
/// (finished ones, the list, recovery after a restart). Two implementations: <see cref="SqliteJobStore"/> (one
/// process, the default) and <see cref="Postgres.PostgresJobStore"/> (a web front and workers on several machines).
/// Besides the list, a store is a queue that processes share (<see cref="TryEnqueue"/> … <see cref="ExpireLeases"/>):
/// workers claim the oldest queued job, hold it under a lease they renew, and finish it; a lease that runs out puts
/// the job back once, then fails it — the rule <see cref="JobRecovery"/> applies after a restart.
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
    IReadOnlyList<JobRecord> ExpireLeases();
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
