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

/// <summary>
/// A job as stored, the one shape of a job everywhere (submit, queue, worker, views, events): what was asked, where it
/// is, and what it produced (format → file name in the job folder).
/// </summary>
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

    /// <summary>Order of submission as the store numbered it (0 before the store has seen the job).</summary>
    public long Sequence { get; init; }

    /// <summary>When a worker took the job (running jobs).</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>The worker's last progress event (running jobs).</summary>
    public TurnLivePhotos.Engine.MotionProgress? Progress { get; init; }

    /// <summary>Someone asked to cancel the job while a worker runs it; the worker stops at its next step.</summary>
    public bool CancelRequested { get; init; }

    /// <summary>The uploaded photo's name, made safe (<see cref="PhotoName"/>): what the job's files are named after.</summary>
    public string PhotoName { get; init; } = Jobs.PhotoName.Fallback;

    /// <summary>The engine that made the clip, once the job has run.</summary>
    public string? EngineName { get; init; }

    /// <summary>Why a failed job failed, in the kinds a client is answered by (a timeout or a lost photo is <see cref="FailureKind.Internal"/>).</summary>
    public TurnLivePhotos.Core.Conversion.FailureKind? Failure { get; init; }

    /// <summary>
    /// What frame interpolation did not do for a finished job, as the CLI's <c>note:</c> says it (no RIFE model, so the
    /// AI clip played each frame once, and the command that fetches it); null when there is nothing to say.
    /// </summary>
    public string? InterpolationNote { get; init; }
}
