using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Core.Conversion;
using TurnLivePhotos.Core.Parameters;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Engine.Svd;
using TurnLivePhotos.Media;
using TurnLivePhotos.Server.Web.Access;

namespace TurnLivePhotos.Server.Web;

/// <summary>What the page shows about the engine in use, the limits the server enforces, and the presets and samplers it offers.</summary>
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
    int FpsMax,
    string Quality,
    GenerationValues Defaults,
    IReadOnlyList<QualityInfo> Qualities,
    IReadOnlyList<SamplerInfo> Samplers);

/// <summary>One <c>quality</c> a form may name, with the values a request naming it (and nothing else) gets here.</summary>
public sealed record QualityInfo(string Name, GenerationValues Values);

/// <summary>One <c>sampler</c> a form may name: whether it can run here (animatelcm needs [ModelOptions] UNetWeights), why not, and the values it brings.</summary>
public sealed record SamplerInfo(string Name, bool Usable, string? Reason, GenerationValues Values);

/// <summary>The values behind a preset or a sampler, as the page shows them: the form's fields plus steps and size.</summary>
public sealed record GenerationValues(string Sampler, int InferenceSteps, int Frames, int Fps, int MotionBucketId, double MaxGuidanceScale, int Width, int Height)
{
    public static GenerationValues Of(MotionParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return new(EnumNames.Of(parameters.Sampler), parameters.InferenceSteps, parameters.Frames, parameters.Fps, parameters.MotionBucketId, parameters.MaxGuidanceScale, parameters.TargetWidth, parameters.TargetHeight);
    }
}

/// <summary><c>GET /api/v1/engine</c>: the configured engine (plainly saying when it is not AI), the defaults and the ranges from the engine's table, and which presets and samplers a form may name here.</summary>
public static class EngineEndpoint
{
    public static void Map(IEndpointRouteBuilder app) => app.MapGet("/api/v1/engine", Get).WithTags("engine").RequireAuthorization(AccessControl.OwnerPolicy)
        .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status503ServiceUnavailable);

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
            MotionParameterTable.Fps.Range.Max,
            EnumNames.Of(settings.Model.Quality),
            GenerationValues.Of(defaults),
            [.. Enum.GetValues<Quality>().Select(quality => new QualityInfo(EnumNames.Of(quality), GenerationValues.Of(settings.Model.ParametersFor(new ParameterChoices { Quality = quality }))))],
            [.. Enum.GetValues<Sampler>().Select(sampler => new SamplerInfo(
                EnumNames.Of(sampler),
                settings.Model.Unusable(sampler) is null,
                settings.Model.Unusable(sampler),
                GenerationValues.Of(settings.Model.ParametersFor(new ParameterChoices { Sampler = sampler }))))]));
    }
}
