using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using TurnLivePhotos.Core.Configuration;

namespace TurnLivePhotos.Server.Web.Access;

/// <summary>What the page sends to sign in: the token a person typed or followed a link with.</summary>
public sealed record SessionRequest(string? Token);

/// <summary>
/// <c>POST /api/v1/session</c> trades the access token for the cookie (the page asks for the token once);
/// <c>DELETE</c> forgets it. Anonymous by nature, so its attempts are rate-limited per client.
/// </summary>
public static class SessionEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var session = app.MapGroup("/api/v1/session").WithTags("session").AllowAnonymous();
        session.MapPost("/", SignIn).RequireRateLimiting(AccessControl.TokenAttemptPolicy).DisableAntiforgery()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        session.MapDelete("/", SignOut);
    }

    public static Results<NoContent, ProblemHttpResult> SignIn(SessionRequest request, HttpContext context, AppSettings settings)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Web.AccessToken is not { } expected)
        {
            return TypedResults.NoContent();
        }

        if (string.IsNullOrWhiteSpace(request.Token) || !AccessTokenHandler.Matches(request.Token.Trim(), expected))
        {
            return ErrorResponses.Problem(new RequestError(StatusCodes.Status401Unauthorized, "Unauthorized", "that is not this server's access token"), context.Response);
        }

        AccessCookie.Set(context, expected);
        return TypedResults.NoContent();
    }

    public static NoContent SignOut(HttpContext context)
    {
        AccessCookie.Clear(context);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// <c>GET /?token=…</c>, the link <c>serve</c> prints: a right token becomes the cookie and the address bar is
    /// cleaned of it (303 to the page); a wrong one is ignored and the page asks.
    /// </summary>
    public static IResult? FromLink(HttpContext context, AppSettings settings)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Web.AccessToken is not { } expected || context.Request.Query["token"].ToString() is not { Length: > 0 } token)
        {
            return null;
        }

        if (AccessTokenHandler.Matches(token, expected))
        {
            AccessCookie.Set(context, expected);
        }

        return TypedResults.Redirect(context.Request.PathBase.Add("/").Value ?? "/", permanent: false, preserveMethod: false);
    }
}
