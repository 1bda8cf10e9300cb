using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TurnLivePhotos.Core.Configuration;

namespace TurnLivePhotos.Server.Web.Access;

/// <summary>
/// The access token as an ASP.NET Core authentication scheme: a request presenting the configured token (the
/// <c>Authorization: Bearer</c> header, or the cookie the server set) is the owner. With no token configured the
/// server listens on loopback only (<see cref="ListenPolicy"/>), and every request there is the owner.
/// Endpoints require the owner through authorization, so the check follows the endpoint whatever the path's case
/// or encoding.
/// </summary>
public sealed class AccessTokenHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, AppSettings settings)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "AccessToken";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var expected = settings.Web.AccessToken;
        if (expected is null)
        {
            return Task.FromResult(Owner("loopback"));
        }

        return Task.FromResult(Presented(Request) is { } token && Matches(token, expected)
            ? Owner("token")
            : AuthenticateResult.NoResult());
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        return ErrorResponses.WriteAsync(Context, new RequestError(
            StatusCodes.Status401Unauthorized, "Unauthorized", "this server needs its access token (Authorization: Bearer <token>)"));
    }

    /// <summary>Compares in constant time, so the answer's timing tells nothing of how much of a guess was right.</summary>
    public static bool Matches(string presented, string expected) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));

    private static string? Presented(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return header["Bearer ".Length..].Trim();
        }

        return request.Cookies.TryGetValue(AccessCookie.Name, out var cookie) ? cookie : null;
    }

    private AuthenticateResult Owner(string how) =>
        AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "owner")], how)), SchemeName));
}
