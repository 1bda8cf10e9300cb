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
/// max_guidance_scale; answers 200 image/gif, or a JSON message with 400, 408, 413, 415, 500 or 503.
/// </summary>
public static class GenerateEndpoint
{
    public static async Task<IResult> HandleAsync(
        HttpContext context, AppSettings settings, OutputLocation outputs, IJobService jobs, ILogger<GenerationQueue> logger, [FromServices] GenerationQueue? queue)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(jobs);
        GenerationJob job;
        try
        {
            var upload = await UploadReader.ReadAsync(context.Request, settings.Web.MaxContentLength, settings.Input.MaxPixels, context.RequestAborted);
            var parameters = GenerationForm.ReadParameters(upload.Form, settings.Model);
            if (queue is null)
            {
                return await ThroughWorkersAsync(context, jobs, new JobRequest(parameters, GenerationForm.Engine(upload.Form, settings), [OutputFormat.Gif], null), upload.Photo, Refuse);
            }

            // Names come from the server (date + random id); the uploaded file name is never used for paths.
            job = new GenerationJob(
                new ConversionRequest(upload.Photo, parameters, GenerationForm.Engine(upload.Form, settings), outputs.Directory, OutputLocation.NewBaseName(DateTimeOffset.Now))
                {
                    // The seed's endpoint answers with a GIF; the other formats come with the jobs API.
                    Outputs = settings.Output with { Formats = [OutputFormat.Gif] },
                },
                context.RequestAborted);
            queue.Enqueue(job);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Refuse(ex);
        }

        try
        {
            var result = await job.Completion;
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
