using System.Diagnostics;

namespace TurnLivePhotos.Tests.Support;

/// <summary>Runs the real turn-live-photos program (built beside the tests) as a child process.</summary>
public sealed class CliProcess : IDisposable
{
    private readonly Process process;
    private readonly List<string> outputLines = [];
    private readonly List<string> errorLines = [];

    private CliProcess(Process process)
    {
        this.process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (outputLines) { outputLines.Add(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (errorLines) { errorLines.Add(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public IReadOnlyList<string> Output { get { lock (outputLines) { return [.. outputLines]; } } }

    public IReadOnlyList<string> Errors { get { lock (errorLines) { return [.. errorLines]; } } }

    public int Id => process.Id;

    public bool HasExited => process.HasExited;

    /// <summary>The most memory the process has held resident so far (VmHWM in /proc/PID/status), in bytes.</summary>
    public long PeakResidentBytes
    {
        get
        {
            var line = File.ReadLines($"/proc/{process.Id}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
    }

    public static CliProcess Start(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        StartProgram("dotnet", workingDirectory, environment, [Path.Combine(AppContext.BaseDirectory, "turn-live-photos.dll"), .. args]);

    /// <summary>Starts another build of the program (an installed tool, a published executable) the same way.</summary>
    public static CliProcess StartProgram(string program, string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var name in info.Environment.Keys.Where(key => key.StartsWith("TLP_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(name);
        }

        // The user's own configuration folder must not leak into a test: an empty one under the working folder.
        info.Environment["XDG_CONFIG_HOME"] = Path.Combine(workingDirectory, ".user-config");
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        return new CliProcess(Process.Start(info) ?? throw new InvalidOperationException($"could not start {program}"));
    }

    public static async Task<(int ExitCode, IReadOnlyList<string> Output, IReadOnlyList<string> Errors)> RunProgramAsync(
        string program, string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        using var run = StartProgram(program, workingDirectory, environment, args);
        var exitCode = await run.WaitForExitAsync(TimeSpan.FromMinutes(3));
        return (exitCode, run.Output, run.Errors);
    }

    public static async Task<(int ExitCode, IReadOnlyList<string> Output, IReadOnlyList<string> Errors)> RunAsync(
        string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        using var run = Start(workingDirectory, environment, args);
        var exitCode = await run.WaitForExitAsync(TimeSpan.FromMinutes(3));
        return (exitCode, run.Output, run.Errors);
    }

    public async Task<string> WaitForOutputAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            var line = Output.FirstOrDefault(match);
            if (line is not null)
            {
                return line;
            }

            if (process.HasExited)
            {
                Assert.Fail($"the program exited ({process.ExitCode}): {string.Join(" | ", Errors)}");
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"no matching output line within {timeout}; got: {string.Join(" | ", Output)} {string.Join(" | ", Errors)}");
    }

    /// <summary>Asks the program to stop the way a service manager or Ctrl+C would (SIGTERM).</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill!.WaitForExitAsync();
        }

        return await WaitForExitAsync(timeout);
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cancel.Token);
        process.WaitForExit(); // drains the redirected output
        return process.ExitCode;
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        process.Dispose();
    }
}
