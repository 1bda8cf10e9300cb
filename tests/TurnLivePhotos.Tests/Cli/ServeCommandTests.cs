using System.Net;
using System.Net.Sockets;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Cli;

/// <summary>The real program started as <c>serve</c>, as a person would start it.</summary>
public sealed class ServeCommandTests
{
    [Fact]
    public async Task Run_arguments_are_appended_and_the_command_line_beats_environment_and_file()
    {
        using var folder = new TempFolder();
        var port = FreePort();
        var config = folder.Write("configuration.ini", $"[WebOptions]\nHost=127.0.0.1\nPort={FreePort()}\n[LaunchOptions]\nRunArguments=--port {port}\n");
        var environment = new Dictionary<string, string> { ["TLP_WebOptions__Port"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture) };

        using var server = CliProcess.Start(folder.Path, environment, "--config", config);
        var line = await server.WaitForOutputAsync(l => l.StartsWith("Serving", StringComparison.Ordinal), TimeSpan.FromSeconds(60));

        Assert.Equal($"Serving TurnLivePhotos on http://127.0.0.1:{port}", line);
        using var client = new HttpClient();
        Assert.Contains("TurnLivePhotos", await client.GetStringAsync($"http://127.0.0.1:{port}/"), StringComparison.Ordinal);
        Assert.Equal(0, await server.TerminateAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Output_temp_keeps_results_out_of_outputs_home_and_removes_them_on_exit()
    {
        using var folder = new TempFolder();
        var config = folder.Write("configuration.ini", "[WebOptions]\nHost=127.0.0.1\nPort=0\n[ModelOptions]\nOutputFrames=3\n");

        using var server = CliProcess.Start(folder.Path, null, "serve", "--config", config, "--output-temp");
        var serving = await server.WaitForOutputAsync(l => l.StartsWith("Serving", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        var temporary = (await server.WaitForOutputAsync(l => l.StartsWith("Results go to", StringComparison.Ordinal), TimeSpan.FromSeconds(5)))
            .Split(' ', 5)[3];
        using var client = new HttpClient { BaseAddress = new Uri(serving.Split(' ').Last()) };
        using var response = await client.PostAsync("generate", RunningServer.Form(TestPhotos.Scene(120, 90)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(Directory.GetFiles(temporary, "*.gif", SearchOption.AllDirectories));
        Assert.False(Directory.Exists(folder["outputs"]));
        Assert.Equal(0, await server.TerminateAsync(TimeSpan.FromSeconds(30)));
        Assert.False(Directory.Exists(temporary));
    }

    [Fact]
    public async Task Serving_every_interface_without_a_token_makes_one_for_the_run_and_prints_a_link_that_carries_it()
    {
        using var folder = new TempFolder();
        var port = FreePort();
        var config = folder.Write("configuration.ini", $"[WebOptions]\nHost=0.0.0.0\nPort={port}\n");

        using var server = CliProcess.Start(folder.Path, null, "serve", "--config", config);
        await server.WaitForOutputAsync(l => l.StartsWith("Serving", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        var tokenLine = await server.WaitForOutputAsync(l => l.StartsWith("Access token for this run:", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        var token = tokenLine.Split(' ')[5];
        using var handler = new HttpClientHandler { UseCookies = true, CookieContainer = new CookieContainer() };
        using var client = new HttpClient(handler) { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        using var anonymous = await client.GetAsync("api/v1/jobs");
        using var link = await client.GetAsync($"/?token={token}");
        using var signedIn = await client.GetAsync("api/v1/jobs");

        Assert.Matches("^[0-9a-f]{32}$", token);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.OK, link.StatusCode);
        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
        Assert.All(server.Output.Where(l => l.StartsWith("On this network: ", StringComparison.Ordinal)),
            line => Assert.EndsWith($":{port}/?token={token}", line, StringComparison.Ordinal));
        Assert.Equal(0, await server.TerminateAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task With_no_host_configured_serve_listens_on_loopback_only()
    {
        using var folder = new TempFolder();
        var config = folder.Write("configuration.ini", "[WebOptions]\nPort=0\n");

        using var server = CliProcess.Start(folder.Path, null, "serve", "--config", config);
        var line = await server.WaitForOutputAsync(l => l.StartsWith("Serving", StringComparison.Ordinal), TimeSpan.FromSeconds(60));

        Assert.StartsWith("Serving TurnLivePhotos on http://127.0.0.1:", line, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Output, l => l.StartsWith("Access token", StringComparison.Ordinal));
        Assert.Equal(0, await server.TerminateAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task A_busy_port_is_one_error_line_without_a_stack_trace()
    {
        using var folder = new TempFolder();
        var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        try
        {
            var port = ((IPEndPoint)holder.LocalEndpoint).Port;
            var config = folder.Write("configuration.ini", $"[WebOptions]\nHost=127.0.0.1\nPort={port}\n");

            var (exit, output, errors) = await CliProcess.RunAsync(folder.Path, null, "serve", "--config", config);

            Assert.Equal(1, exit);
            Assert.Equal($"error: port {port} on 127.0.0.1 is in use (is another server running?); choose another with --port or [WebOptions] Port", Assert.Single(errors));
            Assert.DoesNotContain(output, line => line.Contains("Exception", StringComparison.Ordinal) || line.Contains("fail:", StringComparison.Ordinal));
        }
        finally
        {
            holder.Stop();
        }
    }

    [Fact]
    public async Task An_invalid_port_stops_start_up_with_one_line()
    {
        using var folder = new TempFolder();
        var config = folder.Write("configuration.ini", "[WebOptions]\nPort=70000\n");

        var (exit, _, errors) = await CliProcess.RunAsync(folder.Path, null, "--config", config);

        Assert.Equal(2, exit);
        var line = Assert.Single(errors);
        Assert.Contains("[WebOptions] Port = \"70000\"", line, StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
