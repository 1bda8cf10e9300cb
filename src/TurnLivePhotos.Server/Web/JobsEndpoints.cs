using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Media.Formats;
using TurnLivePhotos.Server.Jobs;
using TurnLivePhotos.Server.Web.Access;

namespace TurnLivePhotos.Server.Web;

/// <summary>
/// Jobs API v1: POST /api/v1/jobs (202 + links), GET one / list, DELETE to cancel, server-sent events of every
/// change, and downloads per format. Every handler declares its answers in its return type, so the OpenAPI
/// document lists them; every error is RFC 7807 problem details.
/// </summary>
public static class JobsEndpoints
{
    private static readonly string[] DownloadTypes = Enum.GetValues<OutputFormat>().Select(Downloads.ContentType).ToArray();

    public static void Map(IEndpointRouteBuilder app)
    {
        // Every call may meet the access token check (401); the answers each handler's return type cannot show
        // (which statuses its problem details carry) are declared here, so the OpenAPI document lists them.
        var jobs = app.MapGroup("/api/v1/jobs").WithTags("jobs").RequireAuthorization(AccessControl.OwnerPolicy).ProducesProblem(StatusCodes.Status401Unauthorized);
        jobs.MapPost("/", SubmitAsync).DisableAntiforgery().RequireRateLimiting(AccessControl.JobCreationPolicy)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status408RequestTimeout)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .ProducesProblem(StatusCodes.Status507InsufficientStorage);
        jobs.MapGet("/", List);
        jobs.MapGet("/{id}", Get).ProducesProblem(StatusCodes.Status404NotFound);
        jobs.MapDelete("/{id}", Cancel).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        jobs.MapGet("/{id}/events", Events).ProducesProblem(StatusCodes.Status404NotFound);
        jobs.MapGet("/{id}/files/{format}", Download).ProducesProblem(StatusCodes.Status404NotFound)
            .Produces(StatusCodes.Status200OK, null, DownloadTypes[0], DownloadTypes[1..]);
    }

    public static async Task<Results<Accepted<JobView>, ProblemHttpResult>> SubmitAsync(
        HttpContext context, IJobService manager, AppSettings settings, ILogger<IJobService> logger)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(manager);
        ArgumentNullException.ThrowIfNull(settings);
        try
        {
            var upload = await UploadReader.ReadAsync(context.Request, settings.Web.MaxContentLength, settings.Input.Budget, context.RequestAborted);
            var view = manager.Submit(upload.Photo, upload.FileName, GenerationForm.ReadJobRequest(upload.Form, settings));
            return TypedResults.Accepted(view.Links.Self, view);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return ErrorResponses.Problem(RequestError.Classify(ex, settings.Web.MaxContentLength, manager.SuggestedRetryAfter, logger), context.Response);
        }
    }

    public static Ok<JobPage> List(IJobService manager, int? page, int? pageSize) =>
        TypedResults.Ok(manager.List(Math.Max(1, page ?? 1), Math.Clamp(pageSize ?? 20, 1, 100)));

    public static Results<Ok<JobView>, ProblemHttpResult> Get(string id, IJobService manager, HttpResponse response) =>
        manager.View(id) is { } view ? TypedResults.Ok(view) : NotFound(id, response);

    public static Results<Accepted<JobView>, ProblemHttpResult> Cancel(string id, IJobService manager, HttpResponse response)
    {
        if (manager.View(id) is null)
        {
            return NotFound(id, response);
        }

        return manager.Cancel(id) && manager.View(id) is { } view
            ? TypedResults.Accepted(view.Links.Self, view)
            : ErrorResponses.Problem(new RequestError(StatusCodes.Status409Conflict, "Job finished", $"job {id} has already finished"), response);
    }

    public static Results<ServerSentEventsResult<JobView>, ProblemHttpResult> Events(string id, IJobService manager, HttpContext context)
    {
        var events = manager.Subscribe(id);
        return events is null ? NotFound(id, context.Response) : TypedResults.ServerSentEvents(AsEvents(events, context.RequestAborted));
    }

    public static Results<PhysicalFileHttpResult, ProblemHttpResult> Download(string id, string format, IJobService manager, HttpResponse response)
    {
        if (!OutputFormatNames.TryParse(format, out var parsed) || manager.FilePath(id, parsed) is not { } path || !File.Exists(path))
        {
            return ErrorResponses.Problem(new RequestError(StatusCodes.Status404NotFound, "Not found", $"job {id} has no {format} file"), response);
        }

        // Content-Disposition: attachment with the file's own name, which is the photo's (JobRequest.ToConversion).
        return TypedResults.PhysicalFile(path, Downloads.ContentType(parsed), Path.GetFileName(path));
    }

    private static async IAsyncEnumerable<SseItem<JobView>> AsEvents(System.Threading.Channels.ChannelReader<JobView> events, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var view in events.ReadAllAsync(cancellationToken))
        {
            yield return new SseItem<JobView>(view, view.State.ToString().ToLowerInvariant());
        }
    }

    private static ProblemHttpResult NotFound(string id, HttpResponse response) =>
        ErrorResponses.Problem(new RequestError(StatusCodes.Status404NotFound, "Not found", $"no job {id}"), response);
}
