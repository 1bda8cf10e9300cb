using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Core.Conversion;
using TurnLivePhotos.Media.Formats;
using TurnLivePhotos.Server.Jobs;

namespace TurnLivePhotos.Server.Web;

/// <summary>
/// The seed's <c>POST /generate</c>: multipart field <c>file</c> plus optional motion_bucket_id, noise_aug_strength and
/// max_guidance_scale; answers 200 image/gif, or a JSON message with 400, 408, 413, 415, 500, 503 or 507. Each request
/// is a GIF-only job (its own folder under OutputsHome/jobs, deleted by retention like any job's).
/// </summary>
public static class GenerateEndpoint
{
    public static async Task<IResult> HandleAsync(
        HttpContext context, AppSettings settings, IJobService jobs, ILogger<GenerationQueue> logger, [FromServices] JobManager? manager)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(jobs);
        Task<ConversionResult> run;
        try
        {
            var upload = await UploadReader.ReadAsync(context.Request, settings.Web.MaxContentLength, settings.Input.Budget, context.RequestAborted);
            var parameters = GenerationForm.ReadParameters(upload.Form, settings.Model);
            // The seed's endpoint answers with a GIF; the other formats come with the jobs API. Names come from the
            // server (the job's id and time); the uploaded file name is never used for paths.
            var request = new JobRequest(parameters, GenerationForm.Engine(upload.Form, settings), [OutputFormat.Gif], null);
            if (manager is null)
            {
                return await ThroughWorkersAsync(context, jobs, request, upload.Photo, Refuse);
            }

            run = manager.Run(upload.Photo, request, context.RequestAborted);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Refuse(ex);
        }

        try
        {
            var result = await run;
            context.Response.Headers["X-Engine"] = result.EngineName;
            return Results.File(result.Files[OutputFormat.Gif], "image/gif");
        }
        catch (OperationCanceledException)
        {
            // The client is gone; nobody reads this answer.
            return Results.Empty;
        }
        catch (Exception ex)
        {
            return Refuse(ex);
        }

        IResult Refuse(Exception error) =>
            ErrorResponses.Message(RequestError.Classify(error, settings.Web.MaxContentLength, jobs.SuggestedRetryAfter, logger));
    }

    /// <summary>
    /// With a shared store the engines are the workers': the request becomes a GIF-only job, followed through its
    /// events until it ends. A client that leaves cancels it.
    /// </summary>
    private static async Task<IResult> ThroughWorkersAsync(HttpContext context, IJobService jobs, JobRequest request, byte[] photo, Func<Exception, IResult> refuse)
    {
        JobView last;
        try
        {
            last = jobs.Submit(photo, request);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return refuse(ex);
        }

        try
        {
            await foreach (var view in jobs.Subscribe(last.Id)!.ReadAllAsync(context.RequestAborted))
            {
                last = view;
            }
        }
        catch (OperationCanceledException)
        {
            jobs.Cancel(last.Id);
            return Results.Empty;
        }

        return last.State == JobState.Succeeded && jobs.FilePath(last.Id, OutputFormat.Gif) is { } gif
            ? Results.File(gif, "image/gif")
            : ErrorResponses.Message(new RequestError(StatusCodes.Status500InternalServerError, "Generation failed", last.Message ?? "the job did not finish"));
    }
}
