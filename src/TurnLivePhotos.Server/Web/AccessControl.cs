using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using TurnLivePhotos.Core.Configuration;

namespace TurnLivePhotos.Server.Web;

/// <summary>
/// For a server exposed beyond this machine: an optional access token on every API call, and a per-client limit on
/// how many jobs may be started per minute. Results are only reachable through unguessable job ids.
/// </summary>
public static class AccessControl
{
    public const string JobCreationPolicy = "job-creation";
    public const string TokenCookie = "tlp_token";

    public static void AddAccessControl(this IServiceCollection services, WebSettings web)
    {
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(JobCreationPolicy, context => web.JobsPerMinute <= 0
                ? RateLimitPartition.GetNoLimiter("all")
                : RateLimitPartition.GetFixedWindowLimiter(
                    context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = web.JobsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            limiter.OnRejected = (rejected, cancellationToken) =>
            {
                return new ValueTask(ErrorResponses.WriteAsync(rejected.HttpContext, new RequestError(
                    StatusCodes.Status429TooManyRequests, "Too many requests", $"at most {web.JobsPerMinute} jobs a minute per client; try again later", RetryAfter: TimeSpan.FromMinutes(1))));
            };
        });
    }

    /// <summary>Requires the token on /api and /generate when one is configured; the page itself stays reachable so it can ask for it.</summary>
    public static void UseAccessToken(this WebApplication app, WebSettings web)
    {
        if (string.IsNullOrEmpty(web.AccessToken))
        {
            return;
        }

        var expected = Encoding.UTF8.GetBytes(web.AccessToken);
        app.Use(async (context, next) =>
        {
            var path = context.Request.Path;
            var guarded = path.StartsWithSegments("/api", StringComparison.Ordinal) || path.StartsWithSegments("/generate", StringComparison.Ordinal);
            if (!guarded || Presented(context) is { } token && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), expected))
            {
                await next(context);
                return;
            }

            context.Response.Headers.WWWAuthenticate = "Bearer";
            await ErrorResponses.WriteAsync(context, new RequestError(StatusCodes.Status401Unauthorized, "Unauthorized", "this server needs its access token (Authorization: Bearer <token>)"));
        });
    }

    private static string? Presented(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return header["Bearer ".Length..].Trim();
        }

        return context.Request.Cookies.TryGetValue(TokenCookie, out var cookie) ? cookie : null;
    }
}
