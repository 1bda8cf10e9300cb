using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Core.Conversion;
using TurnLivePhotos.Server.Jobs;

namespace TurnLivePhotos.Server.Web;

/// <summary>
/// Why a request could not be served, in words for the client: the status, a short title, one line of detail,
/// the form field at fault (if any) and when to try again (503, 429). Rendered in the Python tool's <c>{"message"}</c>
/// shape on <c>/generate</c> and as RFC 7807 problem details on <c>/api</c> (<see cref="ErrorResponses"/>).
/// </summary>
public sealed record RequestError(int Status, string Title, string Detail, string? Field = null, TimeSpan? RetryAfter = null)
{
    /// <summary>How long a client should wait when the engine itself cannot run here (not a matter of queue length).</summary>
    public static readonly TimeSpan EngineUnavailableRetry = TimeSpan.FromMinutes(5);

    public static RequestError BadRequest(string detail, string? field = null) => new(StatusCodes.Status400BadRequest, field is null ? "Invalid request" : "Invalid parameter", detail, field);

    public static RequestError UploadTooLarge(long limit) =>
        new(StatusCodes.Status413PayloadTooLarge, "Upload too large", $"the upload is larger than the limit of {limit} bytes");

    /// <summary>
    /// The one mapping from what went wrong to what the client hears. Anything not named here is a server fault:
    /// 500 with a generic line (the exception goes to the log, never to the client).
    /// </summary>
    /// <param name="retryAfter">The queue's current estimate, for a full queue or an engine out of memory.</param>
    public static RequestError Classify(Exception error, long maxContentLength, TimeSpan retryAfter) => error switch
    {
        RequestErrorException refused => refused.Error,
        FormValueException bad => BadRequest(bad.Message, bad.Field),
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => UploadTooLarge(maxContentLength),
        BadHttpRequestException { StatusCode: StatusCodes.Status408RequestTimeout } =>
            new(StatusCodes.Status408RequestTimeout, "Request timeout", "the request body arrived too slowly"),
        BadHttpRequestException bad when bad.StatusCode is >= 400 and < 500 => new(bad.StatusCode, "Bad request", $"malformed request: {bad.Message}"),
        QueueFullException => new(StatusCodes.Status503ServiceUnavailable, "Queue full", "the queue is full; try again later", RetryAfter: retryAfter),
        OutputsFullException full => new(StatusCodes.Status507InsufficientStorage, "Insufficient storage", full.Message),
        JobTimedOutException timedOut => new(StatusCodes.Status500InternalServerError, "Job timed out", timedOut.Message),
        _ => Of(ConversionFailure.Of(error), retryAfter),
    };

    /// <summary>What the client hears about a conversion that failed (a job's stored failure, or an exception's).</summary>
    public static RequestError Of(ConversionFailure failure, TimeSpan retryAfter) => failure.Kind switch
    {
        FailureKind.UnsupportedPhoto => new(StatusCodes.Status415UnsupportedMediaType, "Unsupported photo", failure.Message),
        FailureKind.PhotoTooLarge => new(StatusCodes.Status413PayloadTooLarge, "Photo too large", failure.Message),
        FailureKind.EngineUnavailable => new(StatusCodes.Status503ServiceUnavailable, "Engine unavailable", failure.Message, RetryAfter: EngineUnavailableRetry),
        FailureKind.OutOfMemory => new(StatusCodes.Status503ServiceUnavailable, "Out of memory", failure.Message, RetryAfter: retryAfter),
        _ => new(StatusCodes.Status500InternalServerError, "Generation failed", failure.Message),
    };

    /// <summary>Classifies and logs: server faults with the exception, an engine that cannot run or ran out of memory with its reason.</summary>
    public static RequestError Classify(Exception error, long maxContentLength, TimeSpan retryAfter, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(logger);
        var classified = Classify(error, maxContentLength, retryAfter);
        if (classified.Status == StatusCodes.Status500InternalServerError)
        {
            logger.LogError(error, "Request failed");
        }
        else if (error is EngineException)
        {
            logger.LogError("Cannot generate: {Reason}", error.Message);
        }

        return classified;
    }
}
