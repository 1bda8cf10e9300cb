using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Core.Conversion;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Media.Decoding;
using TurnLivePhotos.Media.Formats;
using TurnLivePhotos.Server.Jobs;

namespace TurnLivePhotos.Server.Web;

/// <summary>
/// The seed's <c>POST /generate</c>: multipart field <c>file</c> plus optional motion_bucket_id, noise_aug_strength and
/// max_guidance_scale; answers 200 image/gif, or a JSON message with 400, 413, 415, 500 or 503.
/// </summary>
public sealed class GenerateEndpoint(AppSettings settings, OutputLocation outputs, GenerationQueue queue, ILogger<GenerateEndpoint> logger)
{
    public async Task<IResult> HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var limit = settings.Web.MaxContentLength;
        if (request.ContentLength > limit)
        {
            return TooLarge(limit);
        }

        if (!request.HasFormContentType)
        {
            return JsonErrors.Message(StatusCodes.Status400BadRequest, "send the photo as multipart/form-data in the field 'file'");
        }

        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(context.RequestAborted);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(limit);
        }
        catch (InvalidDataException ex)
        {
            return JsonErrors.Message(StatusCodes.Status400BadRequest, $"malformed multipart body: {ex.Message}");
        }

        var file = form.Files.GetFile("file");
        if (file is null)
        {
            return JsonErrors.Message(StatusCodes.Status400BadRequest, "no file was uploaded (multipart field 'file')");
        }

        if (file.Length == 0)
        {
            return JsonErrors.Message(StatusCodes.Status400BadRequest, "the uploaded file is empty");
        }

        MotionParameters parameters;
        EngineKind engine;
        try
        {
            parameters = GenerationForm.Read(form, settings.Model.DefaultParameters);
            engine = GenerationForm.OptionalEnum<EngineKind>(form, "engine") ?? settings.Model.Engine;
        }
        catch (FormValueException ex)
        {
            return JsonErrors.Message(StatusCodes.Status400BadRequest, ex.Message);
        }

        var photo = await ReadAllAsync(file, context.RequestAborted);
        try
        {
            PhotoDecoder.Check(photo, settings.Input.MaxPixels);
        }
        catch (UnsupportedPhotoException ex)
        {
            return Unsupported(ex.Message);
        }
        catch (PhotoTooLargeException ex)
        {
            return JsonErrors.Message(StatusCodes.Status413PayloadTooLarge, ex.Message);
        }

        // Names come from the server (date + random id); the uploaded file name is never used for paths.
        var job = new GenerationJob(
            new ConversionRequest(photo, parameters, engine, outputs.Directory, OutputLocation.NewBaseName(DateTimeOffset.Now))
            {
                // The seed's endpoint answers with a GIF; the other formats come with the jobs API.
                Outputs = settings.Output with { Formats = [OutputFormat.Gif] },
            },
            context.RequestAborted);
        try
        {
            if (!queue.TryEnqueue(job))
            {
                return JsonErrors.Message(StatusCodes.Status503ServiceUnavailable, "the queue is full; try again later", queue.SuggestedRetryAfter);
            }
        }
        catch (EngineUnavailableException ex)
        {
            logger.LogError("Cannot generate: {Reason}", ex.Message);
            return JsonErrors.Message(StatusCodes.Status503ServiceUnavailable, "the configured engine is not available on this server", TimeSpan.FromMinutes(5));
        }

        return await ResultOfAsync(job, context);
    }

    private async Task<IResult> ResultOfAsync(GenerationJob job, HttpContext context)
    {
        try
        {
            var result = await job.Completion;
            context.Response.Headers["X-Engine"] = result.EngineName;
            return Results.File(result.Files[OutputFormat.Gif], "image/gif");
        }
        catch (UnsupportedPhotoException ex)
        {
            return Unsupported(ex.Message);
        }
        catch (PhotoTooLargeException ex)
        {
            return JsonErrors.Message(StatusCodes.Status413PayloadTooLarge, ex.Message);
        }
        catch (EngineOutOfMemoryException ex)
        {
            logger.LogError(ex, "Job {Job} ran out of memory", job.Id);
            return JsonErrors.Message(StatusCodes.Status503ServiceUnavailable, "the engine is out of memory; try again later", queue.SuggestedRetryAfter);
        }
        catch (OperationCanceledException)
        {
            // The client is gone; nobody reads this answer.
            return Results.Empty;
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Job {Job} failed", job.Id);
            return JsonErrors.Message(StatusCodes.Status500InternalServerError, "generation failed; the details are in the server log");
        }
    }

    private static IResult TooLarge(long limit) =>
        JsonErrors.Message(StatusCodes.Status413PayloadTooLarge, $"the upload is larger than the limit of {limit} bytes");

    private static IResult Unsupported(string detail) =>
        JsonErrors.Message(StatusCodes.Status415UnsupportedMediaType, detail);

    private static async Task<byte[]> ReadAllAsync(IFormFile file, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream((int)file.Length);
        await file.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }
}
