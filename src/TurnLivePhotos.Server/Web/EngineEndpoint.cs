using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Core.Conversion;
using TurnLivePhotos.Engine;

namespace TurnLivePhotos.Server.Web;

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

/// <summary><c>GET /api/v1/engine</c>: the configured engine (plainly saying when it is not AI), the defaults and the ranges from the engine's table.</summary>
public static class EngineEndpoint
{
    public static void Map(IEndpointRouteBuilder app) => app.MapGet("/api/v1/engine", Get).WithTags("engine").ProducesProblem(StatusCodes.Status503ServiceUnavailable);

    public static Results<Ok<EngineInfo>, ProblemHttpResult> Get(EngineCatalog engines, AppSettings settings, HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(engines);
        ArgumentNullException.ThrowIfNull(settings);
        EngineChoice choice;
        try
        {
            choice = engines.Resolve(settings.Model.Engine);
        }
        catch (EngineUnavailableException ex)
        {
            return ErrorResponses.Problem(RequestError.Classify(ex, settings.Web.MaxContentLength, RequestError.EngineUnavailableRetry), response);
        }

        var defaults = settings.Model.Parameters;
        return TypedResults.Ok(new EngineInfo(
            choice.Engine.Name,
            choice.Engine.IsGenerative,
            MotionParameterTable.MotionBucketId.Range.Min,
            MotionParameterTable.MotionBucketId.Range.Max,
            MotionParameterTable.NoiseAugStrength.Range.Min,
            MotionParameterTable.NoiseAugStrength.Range.Max,
            MotionParameterTable.MaxGuidanceScale.Range.Min,
            MotionParameterTable.MaxGuidanceScale.Range.Max,
            settings.Web.MaxContentLength,
            defaults.Frames,
            MotionParameterTable.Frames.Range.Max,
            defaults.Fps,
            MotionParameterTable.Fps.Range.Max));
    }
}
