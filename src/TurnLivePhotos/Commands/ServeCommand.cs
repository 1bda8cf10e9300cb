using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using TurnLivePhotos.Server;

namespace TurnLivePhotos.Commands;

/// <summary><c>serve</c>: the web page and the HTTP API. Also what runs with no command, like the seed.</summary>
public static class ServeCommand
{
    public static Command Create(TextWriter output)
    {
        var command = new Command("serve", "Serve the web page and POST /generate (the default when no command is given)");
        AddTo(command, output);
        return command;
    }

    /// <summary>Adds serve's options and action to <paramref name="command"/> (the root command serves too).</summary>
    public static void AddTo(Command command, TextWriter output)
    {
        var outputTemp = new Option<bool>("--output-temp") { Description = "Keep results in a temporary folder that is removed on exit" };
        var progressBar = new Option<bool>("--progress-bar") { Description = "Log each job's progress, step by step" };
        var host = new Option<string?>("--host") { Description = "Address to listen on (overrides [WebOptions] Host)" };
        var port = new Option<int?>("--port") { Description = "Port to listen on (overrides [WebOptions] Port; 0 picks a free one)" };
        command.Options.Add(outputTemp);
        command.Options.Add(progressBar);
        command.Options.Add(host);
        command.Options.Add(port);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = CommonOptions.LoadSettings(parse, [("WebOptions:Host", parse.GetValue(host)), ("WebOptions:Port", parse.GetValue(port))]);
            var temporary = parse.GetValue(outputTemp) ? Directory.CreateTempSubdirectory("turn-live-photos-").FullName : null;
            try
            {
                var app = ServerHost.Build(settings, new ServerOptions
                {
                    OutputDirectoryOverride = temporary,
                    LogLevel = CommonOptions.ParseLogLevel(parse),
                    ReportProgress = parse.GetValue(progressBar),
                });
                await using (app)
                {
                    await app.StartAsync(cancellationToken);
                    foreach (var url in app.Urls)
                    {
                        await output.WriteLineAsync($"Serving TurnLivePhotos on {url}");
                    }

                    if (temporary is not null)
                    {
                        await output.WriteLineAsync($"Results go to {temporary} (removed on exit)");
                    }

                    await output.FlushAsync(cancellationToken);
                    await app.WaitForShutdownAsync(cancellationToken);
                }
            }
            finally
            {
                if (temporary is not null && Directory.Exists(temporary))
                {
                    Directory.Delete(temporary, recursive: true);
                }
            }

            return Cli.Success;
        });
    }
}
