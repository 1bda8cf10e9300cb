using System.Text.Json.Serialization;

namespace TurnLivePhotos.Server.Jobs;

/// <summary>What a job was asked to do, as stored with it (so a restart can run it again).</summary>
public sealed record JobRequest(
    int MotionBucketId,
    double NoiseAugStrength,
    double MaxGuidanceScale,
    int Frames,
    int Fps,
    long? Seed,
    string Engine,
    string[] Formats,
    string? Loop,
    string? Camera = null);

/// <summary>A job as the API shows it (GET /api/v1/jobs/{id} and each server-sent event).</summary>
public sealed record JobView(
    string Id,
    string State,
    DateTimeOffset CreatedAt,
    int? QueuePosition,
    string? Stage,
    int? Step,
    int? TotalSteps,
    double? Percent,
    double? EtaSeconds,
    string? Message,
    IReadOnlyDictionary<string, string> Files,
    JobLinks Links);

public sealed record JobLinks(string Self, string Events);

public sealed record JobPage(IReadOnlyList<JobView> Items, int Page, int PageSize, int Total);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(JobRequest))]
[JsonSerializable(typeof(JobView))]
[JsonSerializable(typeof(JobPage))]
[JsonSerializable(typeof(IReadOnlyDictionary<string, string>))]
public sealed partial class JobJsonContext : JsonSerializerContext;
