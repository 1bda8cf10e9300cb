using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using TurnLivePhotos.Core.Conversion;
using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Media.Formats;
using TurnLivePhotos.Server.Jobs;

namespace TurnLivePhotos.Server.Web;

/// <summary>
/// The Python tool's <c>POST /generate</c>: multipart field <c>file</c> plus optional motion_bucket_id, noise_aug_strength and
/// max_guidance_scale; answers 200 image/gif, or a JSON message with 400, 408, 413, 415, 500, 503 or 507. Each request
/// is a GIF-only job, submitted and waited for (<see cref="IJobService.RunAsync"/>): its own folder under
/// OutputsHome/jobs, named after the upload like any job's files, deleted by retention like any job.
/// </summary>
public static class GenerateEndpoint
{
    public static async Task<IResult> HandleAsync(HttpContext context, AppSettings settings, IJobService jobs, ILogger<IJobService> logger)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(jobs);
        JobRecord? last;
        try
        {
            var upload = await UploadReader.ReadAsync(context.Request, settings.Web.MaxContentLength, settings.Input.Budget, context.RequestAborted);
            var request = new JobRequest(
                GenerationForm.ReadParameters(upload.Form, settings.Model), GenerationForm.Engine(upload.Form, settings), [OutputFormat.Gif], null);
            last = await jobs.RunAsync(upload.Photo, upload.FileName, request, context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return Results.Empty;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return ErrorResponses.Message(RequestError.Classify(ex, settings.Web.MaxContentLength, jobs.SuggestedRetryAfter, logger));
        }

        if (last is null)
        {
            // The client is gone; nobody reads this answer.
            return Results.Empty;
        }

        if (last.State == JobState.Succeeded && jobs.FilePath(last.Id, OutputFormat.Gif) is { } gif)
        {
            context.Response.Headers["X-Engine"] = last.EngineName;
            return Results.File(gif, "image/gif");
        }

        var failure = new ConversionFailure(last.Failure ?? FailureKind.Internal, last.Message ?? "the job did not finish");
        return ErrorResponses.Message(RequestError.Of(failure, jobs.SuggestedRetryAfter));
    }
}
