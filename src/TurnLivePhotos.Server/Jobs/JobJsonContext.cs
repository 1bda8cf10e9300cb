using System.Text.Json.Serialization;

namespace TurnLivePhotos.Server.Jobs;

/// <summary>How a job's request and files are stored: its own types, enums by name.</summary>
[JsonSourceGenerationOptions(UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(JobRequest))]
[JsonSerializable(typeof(TurnLivePhotos.Engine.MotionProgress))]
[JsonSerializable(typeof(IReadOnlyDictionary<TurnLivePhotos.Media.Formats.OutputFormat, string>))]
public sealed partial class JobJsonContext : JsonSerializerContext;
