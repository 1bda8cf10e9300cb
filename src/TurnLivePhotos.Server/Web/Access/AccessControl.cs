using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using TurnLivePhotos.Core.Configuration;

namespace TurnLivePhotos.Server.Web.Access;

/// <summary>
/// Who may use the server and how much: the Host and cross-site checks, the access token as an authentication
/// scheme with one authorization policy that every endpoint but the page requires, and per-client limits on job
/// creation and token guesses. Behind a tunnel, the client is the address the local agent forwards.
/// </summary>
public static class AccessControl
{
    public const string OwnerPolicy = "owner";
    public const string JobCreationPolicy = "job-creation";
    public const string TokenAttemptPolicy = "token-attempts";

    /// <summary>Wrong tokens one client may try per minute (the page's prompt, a link, <c>POST /api/v1/session</c>).</summary>
    public const int TokenAttemptsPerMinute = 10;

    public static void AddAccessControl(this IServiceCollection services, WebSettings web, bool behindLocalProxy)
    {
        ArgumentNullException.ThrowIfNull(web);
        services.AddSingleton(new AllowedHosts(web));
        services.AddAuthentication(AccessTokenHandler.SchemeName).AddScheme<AuthenticationSchemeOptions, AccessTokenHandler>(AccessTokenHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(OwnerPolicy, policy => policy.AddAuthenticationSchemes(AccessTokenHandler.SchemeName).RequireAuthenticatedUser())
            .SetFallbackPolicy(new AuthorizationPolicyBuilder(AccessTokenHandler.SchemeName).RequireAuthenticatedUser().Build());
        if (behindLocalProxy)
        {
            // A tunnel agent on this machine forwards every client as 127.0.0.1; the client is the address it
            // appends to X-Forwarded-For. Only loopback senders are believed (the middleware's default known proxies).
            services.Configure<ForwardedHeadersOptions>(forwarded => forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto);
        }

        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(JobCreationPolicy, context => web.JobsPerMinute <= 0
                ? RateLimitPartition.GetNoLimiter("all")
                : PerClient(context, web.JobsPerMinute));
            limiter.AddPolicy(TokenAttemptPolicy, context => HttpMethods.IsGet(context.Request.Method) && !context.Request.Query.ContainsKey("token")
                ? RateLimitPartition.GetNoLimiter("page")
                : PerClient(context, TokenAttemptsPerMinute));
            limiter.OnRejected = (rejected, cancellationToken) => new ValueTask(ErrorResponses.WriteAsync(rejected.HttpContext, new RequestError(
                StatusCodes.Status429TooManyRequests, "Too many requests", "too many requests from this client in a minute; try again later", RetryAfter: TimeSpan.FromMinutes(1))));
        });
    }

    /// <summary>The middleware, in order: the client's address, Host and cross-site checks, routing, the token, the limits.</summary>
    public static void UseAccessControl(this WebApplication app, bool behindLocalProxy)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (behindLocalProxy)
        {
            app.UseForwardedHeaders();
        }

        app.UseMiddleware<HostGuard>();
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
    }

    private static RateLimitPartition<string> PerClient(HttpContext context, int perMinute) =>
        RateLimitPartition.GetFixedWindowLimiter(
            context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
            _ => new FixedWindowRateLimiterOptions { PermitLimit = perMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 });
}
