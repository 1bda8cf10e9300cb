using System.Text.Json.Serialization;

namespace TurnLivePhotos.Server.Web;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ErrorMessage))]
[JsonSerializable(typeof(EngineInfo))]
internal sealed partial class ServerJsonContext : JsonSerializerContext;

/// <summary>What the page shows about the engine in use and the limits the server enforces.</summary>
public sealed record EngineInfo(
    string Engine,
    bool Generative,
    int MotionBucketIdMin,
    int MotionBucketIdMax,
    double NoiseAugStrengthMin,
    double NoiseAugStrengthMax,
    double GuidanceScaleMin,
    double GuidanceScaleMax,
    long MaxContentLength,
    int Frames,
    int FramesMax,
    int Fps,
    int FpsMax);
