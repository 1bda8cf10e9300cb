using Microsoft.AspNetCore.Http;

namespace TurnLivePhotos.Server.Web;

/// <summary>The seed's error shape: <c>{"message": "…"}</c> with an HTTP status.</summary>
public static class JsonErrors
{
    public static IResult Message(int status, string message, TimeSpan? retryAfter = null) =>
        new MessageResult(status, message, retryAfter);

    public static Task WriteAsync(HttpContext context, int status, string message, TimeSpan? retryAfter = null) =>
        new MessageResult(status, message, retryAfter).ExecuteAsync(context);

    private sealed class MessageResult(int status, string message, TimeSpan? retryAfter) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = status;
            if (retryAfter is { } wait)
            {
                response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            return response.WriteAsJsonAsync(new ErrorMessage(message), ServerJsonContext.Default.ErrorMessage);
        }
    }
}

public sealed record ErrorMessage(string Message);
