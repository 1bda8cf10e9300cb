using Microsoft.AspNetCore.Http;
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
    public static async Task<IResult> HandleAsync(HttpContext context, AppSettings settings, OutputLocation outputs, GenerationQueue queue, ILogger<GenerationQueue> logger)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(queue);
        GenerationJob job;
        try
        {
            var upload = await UploadReader.ReadAsync(context.Request, settings.Web.MaxContentLength, settings.Input.MaxPixels, context.RequestAborted);
            var parameters = GenerationForm.ReadParameters(upload.Form, settings.Model);

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
            ErrorResponses.Message(RequestError.Classify(error, settings.Web.MaxContentLength, queue.SuggestedRetryAfter, logger));
    }
}
