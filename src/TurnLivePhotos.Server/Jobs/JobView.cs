namespace TurnLivePhotos.Server.Jobs;

/// <summary>A job as the API shows it (GET /api/v1/jobs/{id} and each server-sent event).</summary>
public sealed record JobView(
    string Id,
    JobState State,
    DateTimeOffset CreatedAt,
    int? QueuePosition,
    string? Stage,
    int? Step,
    int? TotalSteps,
    double? Percent,
    double? EtaSeconds,
    string? Message,
    IReadOnlyDictionary<string, string> Files,
    JobLinks Links)
{
    /// <summary>The uploaded photo's name (made safe) that the job's files are named after; <c>photo_name</c> in JSON.</summary>
    public required string PhotoName { get; init; }

    /// <summary>
    /// A succeeded job's note on frame interpolation (the AI clip played as made, for want of the RIFE model, and the
    /// command that fetches it), as <c>convert</c> prints it; <c>interpolation_note</c> in JSON, null when there is none.
    /// </summary>
    public string? InterpolationNote { get; init; }
}

public sealed record JobLinks(string Self, string Events);

public sealed record JobPage(IReadOnlyList<JobView> Items, int Page, int PageSize, int Total);
