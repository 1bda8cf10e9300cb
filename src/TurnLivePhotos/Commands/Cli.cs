using System.CommandLine;
using TurnLivePhotos.Bench;
using TurnLivePhotos.Core.Configuration;

namespace TurnLivePhotos.Commands;

/// <summary>
/// turn-live-photos [serve] | convert | settings. Exit codes: 0 success, 1 some photos failed, 2 bad usage or settings,
/// 130 stopped by Ctrl-C.
/// </summary>
public static class Cli
{
    public const int Success = 0;
    public const int SomeFailed = 1;
    public const int UsageError = 2;

    /// <summary>Stopped by Ctrl-C (128 + SIGINT, as shells report it): finished files stay whole, a download's .part files resume.</summary>
    public const int Interrupted = 130;

    /// <summary>The program's name as a person types it (the root command's own name is the host's, e.g. testhost, in tests).</summary>
    public const string ProgramName = "turn-live-photos";

    /// <summary>Runs a command; the console's own writers ask a person at a terminal (<see cref="Terminal.FromConsole"/>), any others never ask.</summary>
    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default) =>
        RunAsync(args, output, error, ReferenceEquals(output, Console.Out) ? Terminal.FromConsole() : Terminal.None, cancellationToken);

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, Terminal terminal, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        try
        {
            args = WithLaunchArguments(args);
            var root = Build(output, error, terminal);
            var parsed = root.Parse(args);
            // Ctrl-C cancels the command's token; a conversion or download then stops at its next step and says so.
            var configuration = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = TimeSpan.FromSeconds(10) };
            if (CommandMenu.For(parsed) is { } menu)
            {
                foreach (var line in menu)
                {
                    await error.WriteLineAsync(line);
                }

                return UsageError;
            }

            if (parsed.Errors.Count > 0)
            {
                await error.WriteLineAsync("error: " + (UnknownOptions.FirstIn(parsed) ?? OneLine(parsed.Errors[0].Message)) + " (see --help)");
                return UsageError;
            }

            return await parsed.InvokeAsync(configuration, cancellationToken);
        }
        catch (SettingsException ex)
        {
            await error.WriteLineAsync("error: " + ex.Message);
            return UsageError;
        }
        catch (Exception ex) when (ex is TurnLivePhotos.Engine.Weights.WeightFileException or TurnLivePhotos.Engine.EngineException or IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync("error: " + ex.Message.ReplaceLineEndings(" "));
            return SomeFailed;
        }
    }

    private static RootCommand Build(TextWriter output, TextWriter error, Terminal terminal)
    {
        var root = new RootCommand("TurnLivePhotos: turn a still photo into a live photo. With no command it serves the web page, like 'serve'.");
        root.Options.Add(CommonOptions.Config);
        root.Options.Add(CommonOptions.Set);
        root.Options.Add(CommonOptions.LoggingLevel);
        root.Options.Add(CommonOptions.MaxSplitSizeMb);
        ServeCommand.AddTo(root, output, error);
        root.Subcommands.Add(ServeCommand.Create(output, error));
        root.Subcommands.Add(WorkerCommand.Create(output, error));
        root.Subcommands.Add(ConvertCommand.Create(output, error, terminal));
        root.Subcommands.Add(SettingsCommand.Create(output));
        root.Subcommands.Add(BenchCommand.Create(output));
        root.Subcommands.Add(ModelCommand.Create(output, error));
        return root;
    }

    /// <summary>[LaunchOptions] RunArguments are appended when the server starts, as the Python tool's start scripts did.</summary>
    private static string[] WithLaunchArguments(string[] args)
    {
        var isServe = args.Length == 0 || args[0] == "serve" || (args[0].StartsWith('-') && !IsHelpOrVersion(args[0]));
        if (!isServe)
        {
            return args;
        }

        var settings = SettingsLoader.Load(CommonOptions.FindConfigPath(args));
        var extra = CommandLineSplitter.Split(settings.RunArguments);
        return extra.Count == 0 ? args : [.. args, .. extra];
    }

    private static bool IsHelpOrVersion(string argument) => argument is "--help" or "-h" or "-?" or "/?" or "--version";

    /// <summary>
    /// A parser message on one line: System.CommandLine lists a value's choices one per line ("Must be one of:" then
    /// tab-indented names), which here become "Must be one of: 'forward', 'pingpong', 'crossfade'".
    /// </summary>
    private static string OneLine(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return lines.Length <= 1 ? message.Trim() : lines[0] + " " + string.Join(", ", lines[1..]);
    }
}
