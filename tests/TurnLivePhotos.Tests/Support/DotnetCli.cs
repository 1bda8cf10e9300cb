using System.Diagnostics;
using TurnLivePhotos.Tests.Configuration;

namespace TurnLivePhotos.Tests.Support;

/// <summary>
/// Runs the .NET SDK's own commands (pack, publish, tool install) the way a person would, with nothing left running
/// afterwards: no MSBuild node reuse, no build server, no compiler server.
/// </summary>
public static class DotnetCli
{
    /// <summary>The configuration the tests (and so the program beside them) were built in.</summary>
    public const string BuildConfiguration =
#if DEBUG
        "Debug";
#else
        "Release";
#endif

    public static string RepositoryRoot => SettingsTests.RepositoryRoot();

    public static async Task<(int ExitCode, string Output)> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        info.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        info.Environment["UseSharedCompilation"] = "false";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var name in info.Environment.Keys.Where(key => key.StartsWith("TLP_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(name);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(20));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await errors);
    }
}

/// <summary>Tests that run dotnet pack/publish run one at a time (they build the same projects, and they are heavy).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DotnetBuildsCollection
{
    public const string Name = "dotnet builds";
}
