using System.Net;
using TurnLivePhotos.Core.Configuration;

namespace TurnLivePhotos.Server.Web.Access;

/// <summary>
/// Safe by default, as Jupyter and ComfyUI are: the server listens on loopback unless asked otherwise, and anything
/// reachable from another machine (another address, a tunnel) needs an access token.
/// </summary>
public static class ListenPolicy
{
    public static bool IsLoopback(string host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var name = host.Trim().Trim('[', ']');
        return name.Equals("localhost", StringComparison.OrdinalIgnoreCase) || IPAddress.TryParse(name, out var address) && IPAddress.IsLoopback(address);
    }

    /// <summary>Whether these settings, reached this way, would serve other machines without a token.</summary>
    public static string? Refusal(WebSettings web, bool tunnel)
    {
        ArgumentNullException.ThrowIfNull(web);
        if (web.AccessToken is not null || IsLoopback(web.Host) && !tunnel)
        {
            return null;
        }

        return $"listening on {(tunnel ? "a public tunnel" : web.Host)} needs an access token: set [WebOptions] AccessToken";
    }
}
