using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using TurnLivePhotos.Core.Conversion;
using TurnLivePhotos.Core.Models;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Server.Models;
using TurnLivePhotos.Server.Web.Access;

namespace TurnLivePhotos.Server.Web;

/// <summary>
/// One engine as the page offers it: whether it can run here, and if not why, the command that fixes it, and the
/// model the page may download for it (with that download's state).
/// </summary>
public sealed record EngineAvailability(EngineKind Engine, bool Installed, bool Generative, string? Reason, DownloadableModel? Model, string? Command, ModelDownloadStatus? Download);

/// <summary>
/// The RIFE weights that bring the SVD engine's clips to 30 fps: whether they are at [ModelOptions] RifeModelPath, the
/// command that fetches them, and the page's download of them.
/// </summary>
public sealed record InterpolationAvailability(DownloadableModel Model, bool Installed, string Command, ModelDownloadStatus Download);

/// <summary>Every engine of this server, classic first; and RIFE's weights when the server has the SVD engine (null otherwise).</summary>
public sealed record EngineList(IReadOnlyList<EngineAvailability> Engines, InterpolationAvailability? Interpolation);

/// <summary>
/// <c>GET /api/v1/models</c> (which engines can run and what each missing one needs), <c>POST
/// /api/v1/models/{name}/download</c> (fetch svd, depth or rife on the server, 202) and <c>GET .../download</c> (its
/// progress, polled). Same token policy as the jobs API: only the server's owner may start a download.
/// </summary>
public static class ModelsEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var models = app.MapGroup("/api/v1/models").WithTags("models").RequireAuthorization(AccessControl.OwnerPolicy).ProducesProblem(StatusCodes.Status401Unauthorized);
        models.MapGet("/", List);
        models.MapPost("/{name}/download", Start).DisableAntiforgery().ProducesProblem(StatusCodes.Status404NotFound);
        models.MapGet("/{name}/download", Progress).ProducesProblem(StatusCodes.Status404NotFound);
    }

    public static Ok<EngineList> List(EngineCatalog engines, ServerModelDownloads downloads)
    {
        ArgumentNullException.ThrowIfNull(engines);
        ArgumentNullException.ThrowIfNull(downloads);
        return TypedResults.Ok(new EngineList([
            Describe(engines, downloads, EngineKind.Classic, "classic", generative: false, model: null),
            Describe(engines, downloads, EngineKind.Cinematic, "cinematic", generative: false, DownloadableModel.Depth),
            Describe(engines, downloads, EngineKind.Svd, "svd", generative: true, DownloadableModel.Svd)],
            Offered(engines, DownloadableModel.Rife)
                ? new InterpolationAvailability(DownloadableModel.Rife, engines.Interpolation.ModelPresent, ModelDownloads.CommandFor(DownloadableModel.Rife), downloads.Status(DownloadableModel.Rife))
                : null));
    }

    public static Results<Accepted<ModelDownloadStatus>, ProblemHttpResult> Start(string name, ServerModelDownloads downloads, EngineCatalog engines, HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(downloads);
        ArgumentNullException.ThrowIfNull(engines);
        if (Parse(name) is not { } model || !Offered(engines, model))
        {
            return UnknownModel(name, response);
        }

        return TypedResults.Accepted($"/api/v1/models/{Name(model)}/download", downloads.Start(model));
    }

    public static Results<Ok<ModelDownloadStatus>, ProblemHttpResult> Progress(string name, ServerModelDownloads downloads, HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(downloads);
        return Parse(name) is { } model && ServerModelDownloads.IsOffered(model) ? TypedResults.Ok(downloads.Status(model)) : UnknownModel(name, response);
    }

    private static EngineAvailability Describe(EngineCatalog engines, ServerModelDownloads downloads, EngineKind kind, string engineName, bool generative, DownloadableModel? model)
    {
        string? reason = null;
        try
        {
            engines.Resolve(kind);
        }
        catch (EngineUnavailableException ex)
        {
            reason = ex.Message;
        }

        // A model is offered only for an engine this server was built with (a test server may have classic alone).
        var offered = model is { } wanted && engines.All.Any(engine => engine.Name == engineName) ? wanted : (DownloadableModel?)null;
        return new EngineAvailability(kind, reason is null, generative, reason, reason is null ? null : offered,
            reason is not null && model is { } needed ? ModelDownloads.CommandFor(needed) : null,
            offered is { } fetchable ? downloads.Status(fetchable) : null);
    }

    /// <summary>A model is offered for an engine this server has: depth for cinematic, svd and rife (its clips at 30 fps) for svd.</summary>
    private static bool Offered(EngineCatalog engines, DownloadableModel model) =>
        ServerModelDownloads.IsOffered(model) && engines.All.Any(engine => engine.Name == (model == DownloadableModel.Depth ? "cinematic" : "svd"));

    /// <summary>svd, depth or rife, as <c>model download</c> names them (any case; numbers are not names).</summary>
    private static DownloadableModel? Parse(string name) =>
        TurnLivePhotos.Media.EnumNames.Parse<DownloadableModel>(name);

    private static string Name(DownloadableModel model) => model.ToString().ToLowerInvariant();

    private static ProblemHttpResult UnknownModel(string name, HttpResponse response) =>
        ErrorResponses.Problem(new RequestError(StatusCodes.Status404NotFound, "Not found", $"no model \"{ClientText.Quote(name)}\" to download here; the page can fetch svd, depth or rife"), response);
}
