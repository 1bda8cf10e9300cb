using System.CommandLine;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Server;
using TurnLivePhotos.Server.Web.Access;
using TurnLivePhotos.Tunnels;

namespace TurnLivePhotos.Commands;

/// <summary><c>serve</c>: the web page and the HTTP API. Also what runs with no command, like the Python tool.</summary>
public static class ServeCommand
{
    /// <summary>How long an agent may take to report its public URL (ngrok and cloudflared take 1–5 s on a normal line).</summary>
    private static readonly TimeSpan TunnelStartTimeout = TimeSpan.FromSeconds(60);

    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command("serve", "Serve the web page and POST /generate (the default when no command is given)");
        AddTo(command, output, error);
        return command;
    }

    /// <summary>Adds serve's options and action to <paramref name="command"/> (the root command serves too).</summary>
    public static void AddTo(Command command, TextWriter output, TextWriter error)
    {
        var outputTemp = new Option<bool>("--output-temp") { Description = "Keep results in a temporary folder that is removed on exit" };
        var progressBar = new Option<bool>("--progress-bar") { Description = "Log each job's progress, step by step" };
        var host = new Option<string?>("--host") { Description = "Address to listen on (overrides [WebOptions] Host; default 127.0.0.1, this machine only; 0.0.0.0 serves the network and needs an access token, made for the run if none is set)" };
        var port = new Option<int?>("--port") { Description = "Port to listen on (overrides [WebOptions] Port; 0 picks a free one)" };
        var ngrok = new Option<bool>("--ngrok") { Description = "Open a public ngrok tunnel to the server and print its URL (same as --tunnel ngrok)" };
        var ngrokAuthtoken = new Option<string?>("--ngrok-authtoken") { Description = "The ngrok account's authtoken, handed to the ngrok agent in its environment (implies --ngrok; or set NGROK_AUTHTOKEN)" };
        var noWorker = new Option<bool>("--no-worker") { Description = "Serve the page and the API without running jobs (workers run them; needs a PostgreSQL [StoreOptions] JobStore)" };
        var noQr = new Option<bool>("--no-qr") { Description = "Leave out the QR code of the network link that is printed when serving beyond this machine" };
        var tunnel = new Option<TunnelKind?>("--tunnel") { Description = "Open a public tunnel: ngrok, or cloudflared (a Cloudflare quick tunnel, no account needed)" };
        tunnel.AcceptOnlyFromAmong("ngrok", "cloudflared");
        foreach (var option in new Option[] { outputTemp, progressBar, host, port, noWorker, ngrok, ngrokAuthtoken, tunnel, noQr })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = CommonOptions.LoadSettings(parse, [(SettingKeys.Host, parse.GetValue(host)), (SettingKeys.Port, parse.GetValue(port))]);
            var token = parse.GetValue(ngrokAuthtoken);
            var kind = parse.GetValue(tunnel) ?? (parse.GetValue(ngrok) || token is not null ? TunnelKind.Ngrok : TunnelKind.None);
            if (parse.GetValue(ngrok) && kind != TunnelKind.Ngrok || token is not null && kind != TunnelKind.Ngrok)
            {
                await error.WriteLineAsync($"error: --ngrok and --ngrok-authtoken cannot be combined with --tunnel {kind.ToString().ToLowerInvariant()}");
                return Cli.UsageError;
            }

            if (parse.GetValue(noWorker) && WorkerCommand.RequireSharedStore(settings, "serve --no-worker") is { } refusal)
            {
                await error.WriteLineAsync(refusal);
                return Cli.UsageError;
            }

            TunnelProvider? provider = null;
            if (kind != TunnelKind.None)
            {
                provider = TunnelProvider.For(kind);
                var agentPath = kind == TunnelKind.Ngrok ? settings.NgrokPath : settings.CloudflaredPath;
                if (TunnelAgent.Locate(provider, agentPath) is null)
                {
                    await error.WriteLineAsync($"error: --tunnel {provider.Executable}: the agent was not found {(agentPath is null ? "on the PATH" : $"at {agentPath}")}: {provider.InstallHint}");
                    return Cli.SomeFailed;
                }
            }

            // Reachable from other machines (another address than loopback, a tunnel) without a token of the
            // user's own: this run makes one and prints it with the address.
            string? generatedToken = null;
            if (ListenPolicy.Refusal(settings.Web, tunnel: provider is not null) is not null)
            {
                generatedToken = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
                settings = settings with { Web = settings.Web with { AccessToken = generatedToken } };
            }

            if (CommonOptions.GpuMemoryLimitNote(settings) is { } note)
            {
                await error.WriteLineAsync(note);
            }

            if (PortInUse(settings.Web) is { } busy)
            {
                await error.WriteLineAsync(busy);
                return Cli.SomeFailed;
            }

            var temporary = parse.GetValue(outputTemp) ? Directory.CreateTempSubdirectory("turn-live-photos-").FullName : null;
            TunnelAgent? agent = null;
            try
            {
                var app = ServerHost.Build(settings, new ServerOptions
                {
                    OutputDirectoryOverride = temporary,
                    LogLevel = CommonOptions.ParseLogLevel(parse),
                    ReportProgress = parse.GetValue(progressBar),
                    RunWorker = !parse.GetValue(noWorker),
                    BehindLocalProxy = provider is not null,
                });
                await using (app)
                {
                    await app.StartAsync(cancellationToken);
                    foreach (var url in app.Urls)
                    {
                        await output.WriteLineAsync($"Serving TurnLivePhotos on {url}");
                    }

                    var links = NetworkAddresses.Of(app.Urls).Select(address => WithToken(address, settings.Web.AccessToken)).ToList();
                    foreach (var link in links)
                    {
                        await output.WriteLineAsync($"On this network: {link}");
                    }

                    if (links.Count > 0 && !parse.GetValue(noQr))
                    {
                        await WriteQrCodeAsync(output, links[0]);
                    }

                    if (temporary is not null)
                    {
                        await output.WriteLineAsync($"Results go to {temporary} (removed on exit)");
                    }

                    if (provider is not null)
                    {
                        try
                        {
                            agent = await TunnelAgent.StartAsync(provider, kind == TunnelKind.Ngrok ? settings.NgrokPath : settings.CloudflaredPath,
                                LocalAddress(app.Urls.First()), token, TunnelStartTimeout, cancellationToken);
                        }
                        catch (TunnelException ex)
                        {
                            await error.WriteLineAsync("error: " + ex.Message.ReplaceLineEndings(" "));
                            await app.StopAsync(CancellationToken.None);
                            return Cli.SomeFailed;
                        }

                        app.Services.GetRequiredService<AllowedHosts>().Add(agent.PublicUrl.Host);
                        await output.WriteLineAsync($"Public URL: {agent.PublicUrl} (through {provider.Executable}; stopped with the server)");
                    }

                    if (generatedToken is not null)
                    {
                        await output.WriteLineAsync($"Access token for this run: {generatedToken} (the page asks for it; API calls send \"Authorization: Bearer {generatedToken}\"). Set [WebOptions] AccessToken to choose your own.");
                    }
                    else if (settings.Web.AccessToken is not null && (provider is not null || !ListenPolicy.IsLoopback(settings.Web.Host)))
                    {
                        await output.WriteLineAsync("Access token: [WebOptions] AccessToken is required on every API call.");
                    }

                    await output.FlushAsync(cancellationToken);
                    await app.WaitForShutdownAsync(cancellationToken);
                }
            }
            finally
            {
                if (agent is not null)
                {
                    await agent.DisposeAsync();
                }

                if (temporary is not null && Directory.Exists(temporary))
                {
                    Directory.Delete(temporary, recursive: true);
                }
            }

            return Cli.Success;
        });
    }

    /// <summary>
    /// A port another program holds, said in one line before the server starts: once started, the host would log
    /// Kestrel's failure with its whole stack trace before the same error reached the command.
    /// </summary>
    private static string? PortInUse(WebSettings web)
    {
        if (web.Port == 0 || !System.Net.IPAddress.TryParse(web.Host.Trim('[', ']'), out var address) && !ListenPolicy.IsLoopback(web.Host))
        {
            return null;
        }

        var listener = new System.Net.Sockets.TcpListener(address ?? System.Net.IPAddress.Loopback, web.Port);
        try
        {
            listener.Start();
            return null;
        }
        catch (System.Net.Sockets.SocketException ex) when (ex.SocketErrorCode == System.Net.Sockets.SocketError.AddressAlreadyInUse)
        {
            return $"error: port {web.Port} on {web.Host} is in use (is another server running?); choose another with --port or [WebOptions] Port";
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary>
    /// The first network link as a QR code for a phone's camera. Printed in logs too (a container's output is read by
    /// people as well); coloured only on a terminal that takes colours (not with NO_COLOR), where escape codes are not noise.
    /// </summary>
    private static async Task WriteQrCodeAsync(TextWriter output, string link)
    {
        var terminal = Spectre.Console.AnsiConsole.Profile.Capabilities;
        var colours = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected && terminal.Ansi && terminal.ColorSystem != Spectre.Console.ColorSystem.NoColors;
        await output.WriteLineAsync("Scan to open the first link on a phone on the same network (--no-qr leaves this out):");
        foreach (var line in TerminalQrCode.Lines(link, colours))
        {
            await output.WriteLineAsync(line);
        }
    }

    /// <summary>A link that signs the browser in: the server trades <c>?token=</c> for its cookie and drops it from the address bar.</summary>
    private static string WithToken(Uri address, string? token) =>
        token is null ? address.ToString() : $"{address}?token={Uri.EscapeDataString(token)}";

    /// <summary>The address a local agent reaches the server on: a wildcard listen address is reached through loopback.</summary>
    private static Uri LocalAddress(string listening)
    {
        var uri = NetworkAddresses.Listening(listening);
        var throughLoopback = NetworkAddresses.EveryInterface(uri) || uri.Host == "localhost";
        return new UriBuilder(uri) { Host = throughLoopback ? "127.0.0.1" : uri.Host, Path = "/" }.Uri;
    }
}
