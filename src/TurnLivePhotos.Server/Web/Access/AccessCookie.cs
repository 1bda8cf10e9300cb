using Microsoft.AspNetCore.Http;

namespace TurnLivePhotos.Server.Web.Access;

/// <summary>
/// The cookie that carries the access token for the page. The server sets it (script never sees it: HttpOnly),
/// only for this site (SameSite=Strict, so no other site's page can send it), only over HTTPS when the page came
/// over HTTPS (a tunnel), and for a limited time.
/// </summary>
public static class AccessCookie
{
    public const string Name = "tlp_token";

    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(30);

    public static void Set(HttpContext context, string token)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.Cookies.Append(Name, token, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = context.Request.IsHttps,
            Path = "/",
            MaxAge = Lifetime,
            Expires = DateTimeOffset.UtcNow + Lifetime,
        });
    }

    public static void Clear(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.Cookies.Delete(Name, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = context.Request.IsHttps, Path = "/" });
    }
}
