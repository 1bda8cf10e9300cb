using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Cli;

/// <summary>
/// <c>serve --ngrok</c> and <c>serve --tunnel cloudflared</c> with stand-in agents: small scripts, first on the
/// PATH, that print what the real agents document (ngrok's JSON log event "started tunnel" with its url,
/// cloudflared's quick-tunnel box with the trycloudflare.com address) and then wait like a running agent. Nothing
/// leaves the machine.
/// </summary>
public sealed class TunnelTests
{
    private const string NgrokUrl = "https://a1b2-203-0-113-7.ngrok-free.app";
    private const string CloudflaredUrl = "https://wise-otter-quick-example.trycloudflare.com";

    [Fact]
    public async Task Ngrok_is_started_for_the_servers_port_its_url_printed_a_token_made_and_the_agent_stopped_with_the_server()
    {
        using var folder = new TempFolder();
        var agents = StubAgent(folder, "ngrok", $$"""
            echo '{"lvl":"info","msg":"no configuration paths supplied","t":"2026-11-25T22:40:00+0000"}'
            echo '{"addr":"http://127.0.0.1:0","lvl":"info","msg":"started tunnel","name":"command_line","obj":"tunnels","t":"2026-11-25T22:40:01+0000","url":"{{NgrokUrl}}"}'
            exec sleep 600
            """);
        var port = FreePort();

        using var server = CliProcess.Start(folder.Path, WithPath(agents), "serve", "--host", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--ngrok", "--ngrok-authtoken", "tok-123");
        var publicLine = await server.WaitForOutputAsync(l => l.StartsWith("Public URL:", StringComparison.Ordinal), TimeSpan.FromSeconds(90));
        var tokenLine = await server.WaitForOutputAsync(l => l.StartsWith("Access token for this run:", StringComparison.Ordinal), TimeSpan.FromSeconds(5));

        Assert.StartsWith($"Public URL: {NgrokUrl}/ ", publicLine, StringComparison.Ordinal);
        Assert.Equal(["http", $"http://127.0.0.1:{port}", "--log", "stdout", "--log-format", "json"], await File.ReadAllLinesAsync(Path.Combine(agents, "ngrok.args")));
        Assert.Equal("tok-123", await File.ReadAllTextAsync(Path.Combine(agents, "ngrok.authtoken")));
        var token = tokenLine.Split(' ')[5];
        Assert.Matches("^[0-9a-f]{32}$", token);
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        using var anonymous = await client.GetAsync("api/v1/jobs");
        using var withToken = new HttpRequestMessage(HttpMethod.Get, "api/v1/jobs") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", token) } };
        using var answer = await client.SendAsync(withToken);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);

        var agentProcess = int.Parse(await File.ReadAllTextAsync(Path.Combine(agents, "ngrok.pid")), CultureInfo.InvariantCulture);
        Assert.True(IsRunning(agentProcess));
        Assert.Equal(0, await server.TerminateAsync(TimeSpan.FromSeconds(30)));
        Assert.False(IsRunning(agentProcess));
    }

    [Fact]
    public async Task A_cloudflare_quick_tunnel_prints_its_url_keeps_a_configured_token_and_stops_with_the_server()
    {
        using var folder = new TempFolder();
        var agents = StubAgent(folder, "cloudflared", $$"""
            echo '2026-11-25T22:40:00Z INF Requesting new quick Tunnel on trycloudflare.com...' >&2
            echo '2026-11-25T22:40:01Z INF +--------------------------------------------------------------------------------------------+' >&2
            echo '2026-11-25T22:40:01Z INF |  Your quick Tunnel has been created! Visit it at (it may take some time to be reachable):  |' >&2
            echo '2026-11-25T22:40:01Z INF |  {{CloudflaredUrl}}                                         |' >&2
            echo '2026-11-25T22:40:01Z INF +--------------------------------------------------------------------------------------------+' >&2
            exec sleep 600
            """);
        var config = folder.Write("configuration.ini", "[WebOptions]\nHost=127.0.0.1\nPort=0\nAccessToken=my-own-token\n");

        using var server = CliProcess.Start(folder.Path, WithPath(agents), "serve", "--config", config, "--tunnel", "cloudflared");
        var serving = await server.WaitForOutputAsync(l => l.StartsWith("Serving", StringComparison.Ordinal), TimeSpan.FromSeconds(90));
        var publicLine = await server.WaitForOutputAsync(l => l.StartsWith("Public URL:", StringComparison.Ordinal), TimeSpan.FromSeconds(30));

        Assert.StartsWith($"Public URL: {CloudflaredUrl}/ ", publicLine, StringComparison.Ordinal);
        var port = new Uri(serving.Split(' ').Last()).Port;
        Assert.Equal(["tunnel", "--no-autoupdate", "--url", $"http://127.0.0.1:{port}"], await File.ReadAllLinesAsync(Path.Combine(agents, "cloudflared.args")));
        Assert.DoesNotContain(server.Output, l => l.StartsWith("Access token for this run", StringComparison.Ordinal));
        var agentProcess = int.Parse(await File.ReadAllTextAsync(Path.Combine(agents, "cloudflared.pid")), CultureInfo.InvariantCulture);
        Assert.True(IsRunning(agentProcess));
        Assert.Equal(0, await server.TerminateAsync(TimeSpan.FromSeconds(30)));
        Assert.False(IsRunning(agentProcess));
    }

    [Fact]
    public async Task A_missing_agent_is_one_line_and_a_failed_exit()
    {
        using var folder = new TempFolder();

        var (exit, output, errors) = await CliProcess.RunAsync(folder.Path, null, "serve", "--port", "0", "--host", "127.0.0.1", "--ngrok",
            "--set", $"ToolOptions:NgrokPath={folder["missing/ngrok"]}");

        Assert.Equal(1, exit);
        var line = Assert.Single(errors);
        Assert.StartsWith($"error: --tunnel ngrok: the agent was not found at {folder["missing/ngrok"]}: install the ngrok agent", line, StringComparison.Ordinal);
        Assert.DoesNotContain(output, l => l.StartsWith("Serving", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_agent_that_fails_before_reporting_a_url_stops_the_server_with_its_reason()
    {
        using var folder = new TempFolder();
        var agents = StubAgent(folder, "ngrok", """
            echo '{"lvl":"info","msg":"no configuration paths supplied","t":"2026-11-25T22:40:00+0000"}'
            echo '{"err":"authentication failed: Your authtoken is not valid.","lvl":"eror","msg":"failed to reconnect session","obj":"tunnels.session","t":"2026-11-25T22:40:01+0000"}'
            exit 1
            """);

        var (exit, _, errors) = await CliProcess.RunAsync(folder.Path, WithPath(agents), "serve", "--port", "0", "--host", "127.0.0.1", "--ngrok-authtoken", "bad");

        Assert.Equal(1, exit);
        var line = Assert.Single(errors, l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Equal("error: the ngrok agent stopped (exit code 1) before it reported a public URL: authentication failed: Your authtoken is not valid.", line);
    }

    /// <summary>Writes an executable script named <paramref name="name"/> that records its arguments and process id, then runs <paramref name="body"/>.</summary>
    private static string StubAgent(TempFolder folder, string name, string body)
    {
        var script = folder.Write($"agents/{name}", $"""
            #!/bin/sh
            here="$(dirname "$0")"
            printf '%s\n' "$@" > "$here/{name}.args"
            printf '%s' "$NGROK_AUTHTOKEN" > "$here/{name}.authtoken"
            echo $$ > "$here/{name}.pid"
            {body}

            """);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return Path.GetDirectoryName(script)!;
    }

    private static Dictionary<string, string> WithPath(string agents) =>
        new() { ["PATH"] = agents + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH") };

    /// <summary>Whether the process runs (a zombie waiting to be reaped counts as stopped).</summary>
    private static bool IsRunning(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        if (!File.Exists(stat))
        {
            return false;
        }

        var text = File.ReadAllText(stat);
        return text[(text.LastIndexOf(')') + 2)..][0] != 'Z';
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
