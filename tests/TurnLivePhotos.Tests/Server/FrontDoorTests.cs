using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Server;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Server;

/// <summary>
/// The server as a stranger meets it: every endpoint but the page needs the token whatever the path's case, the
/// token becomes a cookie only the server sets, foreign Host names and cross-site writes are refused, the server
/// listens on loopback unless a token protects it, and behind a tunnel each client has its own rate limit.
/// </summary>
public sealed class FrontDoorTests
{
    private const string Token = "front-door-token";
    private static readonly byte[] Photo = TestPhotos.Scene(64, 48);

    /// <summary>The endpoints a stranger may reach without the token: the page, and the sign-in that trades the token for the cookie.</summary>
    private static readonly HashSet<string> Public = ["GET /", "POST /api/v1/session", "DELETE /api/v1/session"];

    [Fact]
    public async Task Every_mapped_endpoint_but_the_page_and_sign_in_needs_the_token_in_any_case_of_its_path()
    {
        await using var server = await RunningServer.StartAsync(WithToken);
        var endpoints = server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(endpoint => (endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                .Select(method => (Method: method, Pattern: "/" + endpoint.RoutePattern.RawText!.Trim('/'))))
            .Distinct()
            .ToList();
        Assert.Contains(endpoints, e => e.Pattern == "/api/v1/jobs/{id}/files/{format}");
        Assert.Contains(endpoints, e => e.Pattern == "/openapi/{documentName}.json");
        Assert.Contains(endpoints, e => e is { Method: "POST", Pattern: "/generate" });

        foreach (var (method, pattern) in endpoints)
        {
            var path = Regex.Replace(pattern, @"\{documentName\}", "v1");
            path = Regex.Replace(path, @"\{format\}", "gif");
            path = Regex.Replace(path, @"\{[^}]+\}", "0123456789abcdef");
            foreach (var variant in new[] { path, path.ToUpperInvariant(), Capitalized(path) })
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), variant);
                using var answer = await server.Client.SendAsync(request);
                var name = $"{method} {pattern}";
                if (Public.Contains(name))
                {
                    Assert.True(answer.StatusCode != HttpStatusCode.Unauthorized, $"{method} {variant}: {answer.StatusCode}");
                }
                else
                {
                    Assert.True(answer.StatusCode == HttpStatusCode.Unauthorized, $"{method} {variant}: {answer.StatusCode}, expected 401");
                    Assert.Equal("Bearer", answer.Headers.WwwAuthenticate.Single().Scheme);
                }
            }
        }
    }

    [Theory]
    [InlineData("GET", "/API/v1/jobs")]
    [InlineData("GET", "/api/V1/JOBS")]
    [InlineData("GET", "/%61pi/v1/jobs")]
    [InlineData("GET", "//api/v1/jobs")]
    [InlineData("GET", "/api/v1/jobs/")]
    [InlineData("GET", "/api/./v1/jobs")]
    [InlineData("GET", "/OpenAPI/v1.json")]
    [InlineData("GET", "/api%2Fv1%2Fjobs")]
    [InlineData("GET", "/api/v1/%6Aobs")]
    [InlineData("GET", "/api/v1//jobs")]
    [InlineData("GET", "/./api/v1/jobs")]
    [InlineData("GET", "/api/v1/jobs/.")]
    [InlineData("GET", "/api/v1/jobs;x=1")]
    [InlineData("GET", "/api/v1/jobs%00")]
    [InlineData("GET", "/api/v1/JOBS/0123456789abcdef/FILES/GIF")]
    [InlineData("GET", "/api/v1/jobs/0123456789abcdef/events")]
    [InlineData("GET", "/openapi/V1.JSON")]
    [InlineData("POST", "/GENERATE")]
    [InlineData("POST", "/GENERATE/")]
    [InlineData("POST", "/%67enerate")]
    [InlineData("POST", "/generate/.")]
    [InlineData("POST", "/Api/V1/Jobs")]
    [InlineData("DELETE", "/API/v1/jobs/0123456789abcdef")]
    public async Task Path_variants_never_reach_an_endpoint_without_the_token(string method, string path)
    {
        await using var server = await RunningServer.StartAsync(WithToken);

        var answer = await RawHttp.ExchangeAsync(server.BaseAddress, $"{method} {path} HTTP/1.1\r\nContent-Type: {RunningServer.Form(Photo).Headers.ContentType}", []);

        Assert.NotNull(answer);
        Assert.True(answer.Status is 401 or 404 or 400, $"{method} {path}: {answer.Status} {answer.Body}");
    }

    [Fact]
    public async Task Signing_in_sets_an_http_only_strict_expiring_cookie_that_opens_the_api()
    {
        await using var server = await RunningServer.StartAsync(WithToken);
        using var handler = new HttpClientHandler { UseCookies = true, CookieContainer = new CookieContainer() };
        using var browser = new HttpClient(handler) { BaseAddress = server.BaseAddress };

        using var wrong = await browser.PostAsync("api/v1/session", Json("{\"token\":\"guess\"}"));
        using var before = await browser.GetAsync("api/v1/jobs");
        using var right = await browser.PostAsync("api/v1/session", Json($"{{\"token\":\"{Token}\"}}"));
        using var after = await browser.GetAsync("api/v1/jobs");

        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, before.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, right.StatusCode);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        var cookie = Assert.Single(right.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("tlp_token=", cookie, StringComparison.Ordinal);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("max-age=", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("expires=", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", cookie.Replace("samesite", string.Empty, StringComparison.OrdinalIgnoreCase), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Behind_a_tunnel_the_cookie_is_secure_and_each_forwarded_client_has_its_own_limit()
    {
        await using var server = await RunningServer.StartAsync(s => WithToken(s) with { Web = WithToken(s).Web with { JobsPerMinute = 1 } }, behindLocalProxy: true);

        using var signIn = new HttpRequestMessage(HttpMethod.Post, "api/v1/session") { Content = Json($"{{\"token\":\"{Token}\"}}") };
        signIn.Headers.Add("X-Forwarded-Proto", "https");
        using var signedIn = await server.Client.SendAsync(signIn);
        var statuses = new List<HttpStatusCode>();
        foreach (var client in new[] { "203.0.113.7", "203.0.113.8", "203.0.113.7" })
        {
            using var submit = new HttpRequestMessage(HttpMethod.Post, "api/v1/jobs") { Content = RunningServer.Form(Photo, "p.jpg", ("formats", "gif"), ("frames", "2")) };
            submit.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
            submit.Headers.Add("X-Forwarded-For", client);
            using var answer = await server.Client.SendAsync(submit);
            statuses.Add(answer.StatusCode);
        }

        Assert.Contains("secure", Assert.Single(signedIn.Headers.GetValues("Set-Cookie")).Split(';').Select(p => p.Trim().ToLowerInvariant()));
        Assert.Equal([HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.TooManyRequests], statuses);
    }

    [Fact]
    public async Task The_printed_link_signs_the_browser_in_and_leaves_the_token_out_of_the_address_bar()
    {
        await using var server = await RunningServer.StartAsync(WithToken);
        using var handler = new HttpClientHandler { UseCookies = true, CookieContainer = new CookieContainer(), AllowAutoRedirect = false };
        using var browser = new HttpClient(handler) { BaseAddress = server.BaseAddress };

        using var wrongLink = await browser.GetAsync("/?token=guess");
        using var anonymous = await browser.GetAsync("api/v1/jobs");
        using var link = await browser.GetAsync($"/?token={Token}");
        using var after = await browser.GetAsync("api/v1/jobs");

        Assert.Equal(HttpStatusCode.Redirect, wrongLink.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, link.StatusCode);
        Assert.Equal("/", link.Headers.Location?.ToString());
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task Guessing_the_token_is_limited_per_client()
    {
        await using var server = await RunningServer.StartAsync(WithToken);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i <= TurnLivePhotos.Server.Web.Access.AccessControl.TokenAttemptsPerMinute; i++)
        {
            using var answer = await server.Client.PostAsync("api/v1/session", Json($"{{\"token\":\"guess-{i}\"}}"));
            statuses.Add(answer.StatusCode);
        }

        Assert.All(statuses.SkipLast(1), status => Assert.Equal(HttpStatusCode.Unauthorized, status));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
    }

    [Theory]
    [InlineData("attacker.example", 400)]
    [InlineData("attacker.example.", 400)]
    [InlineData("localhost.attacker.example", 400)]
    [InlineData("localhost", 200)]
    [InlineData("app.localhost", 200)]
    [InlineData("127.0.0.1", 200)]
    [InlineData("[::1]", 200)]
    [InlineData("192.0.2.10", 200)]
    [InlineData("photos.example.com", 200)]
    [InlineData("any.home.lan", 200)]
    public async Task Only_host_names_the_server_serves_are_answered(string host, int expected)
    {
        await using var server = await RunningServer.StartAsync(s => s with { Web = s.Web with { AllowedHosts = ["photos.example.com", "*.home.lan"] } });

        using var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/jobs");
        request.Headers.Host = $"{host}:{server.BaseAddress.Port}";
        using var answer = await server.Client.SendAsync(request);

        Assert.Equal(expected, (int)answer.StatusCode);
    }

    [Fact]
    public async Task A_page_of_another_site_cannot_submit_or_cancel_even_on_a_tokenless_loopback_server()
    {
        await using var server = await RunningServer.StartAsync();
        var own = $"http://127.0.0.1:{server.BaseAddress.Port}";

        var statuses = new List<(string Case, HttpStatusCode Status)>();
        foreach (var (name, header, value) in new[]
        {
            ("foreign origin", "Origin", "https://attacker.example"),
            ("null origin", "Origin", "null"),
            ("other port", "Origin", "http://127.0.0.1:1"),
            ("fetch metadata", "Sec-Fetch-Site", "cross-site"),
            ("own origin", "Origin", own),
            ("no origin (curl)", "X-Nothing", "1"),
        })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "generate") { Content = RunningServer.Form(Photo, "p.jpg", ("frames", "2")) };
            request.Headers.Add(header, value);
            using var answer = await server.Client.SendAsync(request);
            statuses.Add((name, answer.StatusCode));
        }

        Assert.Equal(
            [("foreign origin", HttpStatusCode.Forbidden), ("null origin", HttpStatusCode.Forbidden), ("other port", HttpStatusCode.Forbidden),
             ("fetch metadata", HttpStatusCode.Forbidden), ("own origin", HttpStatusCode.OK), ("no origin (curl)", HttpStatusCode.OK)],
            statuses);
    }

    [Fact]
    public async Task Beyond_loopback_without_a_token_the_server_does_not_start()
    {
        using var folder = new TempFolder();
        var settings = new AppSettings
        {
            Store = new StoreSettings { ModelsHome = folder["models"], OutputsHome = folder["outputs"] },
            Web = new WebSettings { Host = "0.0.0.0", Port = 0 },
        };

        var refused = Assert.Throws<SettingsException>(() => ServerHost.Build(settings, new ServerOptions()));
        var tunnel = Assert.Throws<SettingsException>(() => ServerHost.Build(settings with { Web = settings.Web with { Host = "127.0.0.1" } }, new ServerOptions { BehindLocalProxy = true }));

        Assert.Contains("[WebOptions] AccessToken", refused.Message, StringComparison.Ordinal);
        Assert.Contains("tunnel", tunnel.Message, StringComparison.Ordinal);
        Assert.Equal("127.0.0.1", new AppSettings().Web.Host);
    }

    [Fact]
    public async Task Error_answers_quote_a_short_piece_of_the_input_and_no_server_path()
    {
        await using var server = await RunningServer.StartAsync();
        var huge = new string('9', 3_000_000);

        using var answer = await server.Client.PostAsync("api/v1/jobs", RunningServer.Form(Photo, "p.jpg", ("frames", huge)));
        var body = await answer.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        Assert.True(body.Length < 2_000, $"{body.Length} characters");
        Assert.Contains("frames", body, StringComparison.Ordinal);
        Assert.Equal("the data could not be read (<path>: insufficient image data)",
            TurnLivePhotos.Server.Web.ClientText.Detail("the data could not be read (/tmp/magick-4Xb2/in.jpg: insufficient image data)"));
    }

    private static AppSettings WithToken(AppSettings settings) => settings with { Web = settings.Web with { AccessToken = Token } };

    private static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");

    private static string Capitalized(string path) => string.Concat(path.Select((c, i) => i % 2 == 0 ? char.ToUpperInvariant(c) : c));
}
