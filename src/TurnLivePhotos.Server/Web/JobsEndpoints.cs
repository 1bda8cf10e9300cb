using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Media.Decoding;
using TurnLivePhotos.Media.Formats;
using TurnLivePhotos.Server.Jobs;

namespace TurnLivePhotos.Server.Web;

/// <summary>
/// Jobs API v1: POST /api/v1/jobs (202 + links), GET one / list, DELETE to cancel, server-sent events of every
/// change, and downloads per format. Validation errors are RFC 7807 problem details.
/// </summary>
public static class JobsEndpoints
{
    private static readonly Dictionary<string, (string ContentType, string Extension)> Downloads = new()
    {
        ["live"] = ("application/zip", ".zip"),
        ["motion"] = ("image/jpeg", ".jpg"),
        ["mp4"] = ("video/mp4", ".mp4"),
        ["gif"] = ("image/gif", ".gif"),
        ["webp"] = ("image/webp", ".webp"),
    };

    public static void Map(WebApplication app)
    {
        var jobs = app.MapGroup("/api/v1/jobs");
        jobs.MapPost("/", SubmitAsync).DisableAntiforgery().RequireRateLimiting(AccessControl.JobCreationPolicy);
        jobs.MapGet("/", (JobManager manager, int? page, int? pageSize) =>
        {
            var size = Math.Clamp(pageSize ?? 20, 1, 100);
            return Results.Json(manager.List(Math.Max(1, page ?? 1), size), JobJsonContext.Default.JobPage);
        });
        jobs.MapGet("/{id}", (string id, JobManager manager) =>
            manager.View(id) is { } view ? Results.Json(view, JobJsonContext.Default.JobView) : NotFound(id));
        jobs.MapDelete("/{id}", (string id, JobManager manager) =>
        {
            if (manager.View(id) is null)
            {
                return NotFound(id);
            }

            return manager.Cancel(id)
                ? Results.Accepted($"/api/v1/jobs/{id}", manager.View(id))
                : Results.Problem($"job {id} has already finished", statusCode: StatusCodes.Status409Conflict, title: "Job finished");
        });
        jobs.MapGet("/{id}/events", StreamEventsAsync);
        jobs.MapGet("/{id}/files/{format}", (string id, string format, JobManager manager) =>
        {
            var path = manager.FilePath(id, format);
            if (path is null || !File.Exists(path) || !Downloads.TryGetValue(format, out var download))
            {
                return Results.Problem($"job {id} has no {format} file", statusCode: StatusCodes.Status404NotFound, title: "Not found");
            }

            return Results.File(path, download.ContentType, Path.GetFileName(path));
        });
    }

    private static async Task<IResult> SubmitAsync(HttpContext context, JobManager manager, AppSettings settings)
    {
        if (context.Request.ContentLength > settings.Web.MaxContentLength)
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, "Upload too large", $"the upload is larger than the limit of {settings.Web.MaxContentLength} bytes");
        }

        if (!context.Request.HasFormContentType)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid request", "send multipart/form-data with the photo in the field 'file'");
        }

        IFormCollection form;
        try
        {
            form = await context.Request.ReadFormAsync(context.RequestAborted);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, "Upload too large", $"the upload is larger than the limit of {settings.Web.MaxContentLength} bytes");
        }

        var file = form.Files.GetFile("file");
        if (file is null || file.Length == 0)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid request", "no photo was uploaded (multipart field 'file')");
        }

        JobRequest request;
        try
        {
            request = ReadRequest(form, settings);
        }
        catch (FormValueException ex)
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { [ex.Field] = [ex.Message] }, title: "Invalid parameter");
        }

        using var buffer = new MemoryStream();
        await file.CopyToAsync(buffer, context.RequestAborted);
        var photo = buffer.ToArray();
        try
        {
            PhotoDecoder.Check(photo, settings.Input.MaxPixels);
        }
        catch (UnsupportedPhotoException ex)
        {
            return Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported photo", ex.Message);
        }
        catch (PhotoTooLargeException ex)
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, "Photo too large", ex.Message);
        }

        try
        {
            var view = manager.Submit(photo, request);
            return Results.Json(view, JobJsonContext.Default.JobView, statusCode: StatusCodes.Status202Accepted);
        }
        catch (QueueFullException ex)
        {
            context.Response.Headers.RetryAfter = ((int)Math.Ceiling(ex.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            return Problem(StatusCodes.Status503ServiceUnavailable, "Queue full", "the queue is full; try again later");
        }
    }

    private static JobRequest ReadRequest(IFormCollection form, AppSettings settings)
    {
        var parameters = GenerationForm.Read(form, settings.Model.DefaultParameters);
        var frames = GenerationForm.OptionalInt(form, "frames", ParameterLimits.Frames) ?? parameters.Frames;
        var fps = GenerationForm.OptionalInt(form, "fps", ParameterLimits.Fps) ?? parameters.Fps;
        var seed = GenerationForm.OptionalLong(form, "seed", ParameterLimits.Seed) ?? parameters.Seed;
        var engine = Choice(form, "engine", ["auto", "classic", "cinematic", "svd"]) ?? settings.Model.Engine.ToString().ToLowerInvariant();
        var loop = Choice(form, "loop", ["forward", "pingpong", "crossfade"]);
        var formatsText = form["formats"].ToString();
        string[] formats;
        try
        {
            formats = (string.IsNullOrWhiteSpace(formatsText) ? settings.Output.Formats : OutputOptions.ParseFormats(formatsText))
                .Select(f => f.ToString().ToLowerInvariant()).ToArray();
        }
        catch (FormatException ex)
        {
            throw new FormValueException("formats", ex.Message);
        }

        return new JobRequest(parameters.MotionBucketId, parameters.NoiseAugStrength, parameters.MaxGuidanceScale, frames, fps, seed, engine, formats, loop, parameters.Camera.ToString().ToLowerInvariant());
    }

    private static string? Choice(IFormCollection form, string field, string[] allowed)
    {
        var text = form[field].ToString().Trim().ToLowerInvariant();
        if (text.Length == 0)
        {
            return null;
        }

        return allowed.Contains(text) ? text : throw new FormValueException(field, $"{field} must be one of {string.Join(", ", allowed)}, got \"{text}\"");
    }

    private static async Task StreamEventsAsync(string id, HttpContext context, JobManager manager)
    {
        var events = manager.Subscribe(id);
        if (events is null)
        {
            await NotFound(id).ExecuteAsync(context);
            return;
        }

        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        await foreach (var view in events.ReadAllAsync(context.RequestAborted))
        {
            await context.Response.WriteAsync($"event: {view.State}\ndata: {JsonSerializer.Serialize(view, JobJsonContext.Default.JobView)}\n\n", context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
        }
    }

    private static IResult NotFound(string id) => Results.Problem($"no job {id}", statusCode: StatusCodes.Status404NotFound, title: "Not found");

    private static IResult Problem(int status, string title, string detail) => Results.Problem(detail, statusCode: status, title: title);
}
