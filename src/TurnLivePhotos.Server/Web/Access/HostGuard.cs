using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Http;
using TurnLivePhotos.Core.Configuration;

namespace TurnLivePhotos.Server.Web.Access;

/// <summary>
/// The names this server answers to. A page on another site can make a browser send requests here under a name it
/// controls (DNS rebinding): such a request names that site in its Host header, so only these are served: IP
/// literals, <c>localhost</c> and <c>*.localhost</c> (RFC 6761), this machine's own name (and its <c>.local</c>),
/// the configured <c>[WebOptions] AllowedHosts</c>, and the public host of a tunnel started with the server.
/// ASP.NET Core's HostFiltering middleware takes a fixed list; IP literals and a tunnel's host known only after
/// start-up need this small check instead.
/// </summary>
public sealed class AllowedHosts
{
    private readonly ConcurrentDictionary<string, bool> added = new(StringComparer.OrdinalIgnoreCase);
    private readonly IReadOnlyList<string> configured;
    private readonly string machine = Dns.GetHostName();

    public AllowedHosts(WebSettings web)
    {
        ArgumentNullException.ThrowIfNull(web);
        configured = web.AllowedHosts;
    }

    /// <summary>Adds a name learnt at run time (the tunnel's public host).</summary>
    public void Add(string host) => added[host.Trim().TrimEnd('.')] = true;

    public bool Allows(HostString host)
    {
        if (!host.HasValue)
        {
            // HTTP/1.0 without Host: no browser sends that, so it cannot be a rebinding page.
            return true;
        }

        var name = host.Host.Trim('[', ']').TrimEnd('.');
        return IPAddress.TryParse(name, out _)
            || name.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || name.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
            || name.Equals(machine, StringComparison.OrdinalIgnoreCase)
            || name.Equals(machine + ".local", StringComparison.OrdinalIgnoreCase)
            || added.ContainsKey(name)
            || configured.Any(pattern => Matches(pattern, name));
    }

    private static bool Matches(string pattern, string name) => pattern switch
    {
        "*" => true,
        _ when pattern.StartsWith("*.", StringComparison.Ordinal) => name.EndsWith(pattern[1..], StringComparison.OrdinalIgnoreCase),
        _ => pattern.TrimEnd('.').Equals(name, StringComparison.OrdinalIgnoreCase),
    };
}

/// <summary>
/// Refuses, before anything else runs, a request whose Host this server does not serve (<see cref="AllowedHosts"/>)
/// and an unsafe request (POST, DELETE…) sent by a page of another site: browsers name the page's origin in
/// <c>Origin</c> (Fetch standard, "Origin header") and say <c>Sec-Fetch-Site: cross-site</c>. A request without
/// either (curl, scripts) is no browser acting for someone else and passes on to the token check.
/// </summary>
public sealed class HostGuard(RequestDelegate next, AllowedHosts hosts)
{
    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!hosts.Allows(context.Request.Host))
        {
            return ErrorResponses.WriteAsync(context, new RequestError(StatusCodes.Status400BadRequest, "Unknown host",
                "this server does not answer to that host name; add it to [WebOptions] AllowedHosts to serve it"));
        }

        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method) && !HttpMethods.IsOptions(context.Request.Method)
            && CrossSite(context.Request))
        {
            return ErrorResponses.WriteAsync(context, new RequestError(StatusCodes.Status403Forbidden, "Cross-site request",
                "requests that change something must come from this server's own page"));
        }

        return next(context);
    }

    private static bool CrossSite(HttpRequest request)
    {
        if (request.Headers["Sec-Fetch-Site"].ToString() is "cross-site" or "same-site")
        {
            return true;
        }

        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            return false;
        }

        // The host must be this one; the scheme is not compared, since a proxy in front (a tunnel, TLS termination)
        // serves the page over HTTPS while this server hears HTTP, and the port only where the Host header names one.
        return !Uri.TryCreate(origin, UriKind.Absolute, out var uri)
            || !uri.Host.Trim('[', ']').Equals(request.Host.Host.Trim('[', ']'), StringComparison.OrdinalIgnoreCase)
            || request.Host.Port is { } port && port != uri.Port;
    }
}
