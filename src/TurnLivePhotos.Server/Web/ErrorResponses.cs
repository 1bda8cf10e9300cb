using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace TurnLivePhotos.Server.Web;

/// <summary>
/// Writes a <see cref="RequestError"/> in the shape its caller speaks: the Python tool's <c>{"message": "…"}</c> for
/// <c>/generate</c> and the page, RFC 7807 problem details (with <c>errors</c> naming the field when there is one)
/// for everything under <c>/api</c>. A <c>Retry-After</c> header goes with either when the error has one.
/// </summary>
public static class ErrorResponses
{
    /// <summary>The Python tool's shape.</summary>
    public static IResult Message(RequestError error) => new MessageResult(error);

    /// <summary>Problem details; the Retry-After header is set on <paramref name="response"/> right away.</summary>
    public static ProblemHttpResult Problem(RequestError error, HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(response);
        SetRetryAfter(response, error);
        var detail = ClientText.Detail(error.Detail);
        return TypedResults.Problem(detail, statusCode: error.Status, title: error.Title, extensions: error.Field is null
            ? null
            : new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { [ClientText.Quote(error.Field)] = [detail] } });
    }

    /// <summary>The shape the path speaks (used where no endpoint has run: the exception handler, the token check, the rate limiter).</summary>
    public static Task WriteAsync(HttpContext context, RequestError error)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Response.HasStarted)
        {
            return Task.CompletedTask;
        }

        var result = context.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase) ? Problem(error, context.Response) : Message(error);
        return result.ExecuteAsync(context);
    }

    private static void SetRetryAfter(HttpResponse response, RequestError error)
    {
        if (error.RetryAfter is { } wait)
        {
            response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }
    }

    private sealed class MessageResult(RequestError error) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            SetRetryAfter(httpContext.Response, error);
            httpContext.Response.StatusCode = error.Status;
            return httpContext.Response.WriteAsJsonAsync(new ErrorMessage(ClientText.Detail(error.Detail)), ServerJsonContext.Default.ErrorMessage);
        }
    }
}

public sealed record ErrorMessage(string Message);
