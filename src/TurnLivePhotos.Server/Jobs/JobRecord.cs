namespace TurnLivePhotos.Server.Jobs;

/// <summary>Where a job is in its life.</summary>
public enum JobState
{
    Queued,
    Running,
    Succeeded,
    Failed,
    Canceled,
}

/// <summary>A job as stored: what was asked, where it is, and what it produced (format → file name in the job folder).</summary>
public sealed record JobRecord(
    string Id,
    DateTimeOffset CreatedAt,
    JobState State,
    JobRequest Request,
    string? Message,
    IReadOnlyDictionary<TurnLivePhotos.Media.Formats.OutputFormat, string> Files,
    int Attempts,
    DateTimeOffset? FinishedAt)
{
    public bool IsFinished => State is JobState.Succeeded or JobState.Failed or JobState.Canceled;
}

/// <summary>
/// The persistent job list. Written on every change of state (never per progress event) and read for jobs that
/// are not live in this process (finished ones, the list, recovery after a restart). SQLite here
/// (<see cref="SqliteJobStore"/>); a shared database with several workers would be another implementation.
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
}
