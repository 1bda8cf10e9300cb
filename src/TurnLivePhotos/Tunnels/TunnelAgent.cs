using System.Diagnostics;

namespace TurnLivePhotos.Tunnels;

/// <summary>The tunnel agent could not be found, could not start, or stopped before it reported a public URL.</summary>
public sealed class TunnelException(string message) : Exception(message);

/// <summary>
/// A running tunnel agent (ngrok or cloudflared) in front of the local server: started by <see cref="StartAsync"/>,
/// which returns once the agent's log names the public URL, and stopped (with its whole process tree) on dispose.
/// </summary>
public sealed class TunnelAgent : IAsyncDisposable
{
    private readonly Process process;
    private readonly TaskCompletionSource<Uri> url = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TunnelProvider provider;
    private string? lastError;

    private TunnelAgent(Process process, TunnelProvider provider)
    {
        this.process = process;
        this.provider = provider;
        process.OutputDataReceived += (_, e) => Read(e.Data);
        process.ErrorDataReceived += (_, e) => Read(e.Data);
    }

    /// <summary>
    /// Starts reading the agent's output, then watches for its exit. In that order: WaitForExit drains the output only
    /// once reading has begun, so an agent that fails at once still has its reason read before the exit is judged.
    /// </summary>
    private void Watch()
    {
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.Exited += (_, _) =>
        {
            process.WaitForExit(); // the last lines (the URL, or the reason it failed) are read before deciding
            url.TrySetException(new TunnelException(
                $"the {provider.Executable} agent stopped (exit code {SafeExitCode()}) before it reported a public URL" + (lastError is null ? string.Empty : $": {lastError}")));
        };
        process.EnableRaisingEvents = true;
    }

    public Uri PublicUrl => url.Task.IsCompletedSuccessfully ? url.Task.Result : throw new InvalidOperationException("no public URL yet");

    public bool HasExited => process.HasExited;

    /// <summary>The agent's executable: the configured path, else the PATH.</summary>
    public static string? Locate(TunnelProvider provider, string? configuredPath)
    {
        ArgumentNullException.ThrowIfNull(provider);
        if (!string.IsNullOrWhiteSpace(configuredPath))
        {
            return File.Exists(configuredPath) ? Path.GetFullPath(configuredPath) : null;
        }

        var name = OperatingSystem.IsWindows() ? provider.Executable + ".exe" : provider.Executable;
        return (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, name))
            .FirstOrDefault(File.Exists);
    }

    /// <summary>Starts the agent for <paramref name="local"/> and waits until it reports the public URL.</summary>
    /// <exception cref="TunnelException">The agent is missing, fails, or reports nothing within <paramref name="timeout"/>.</exception>
    public static async Task<TunnelAgent> StartAsync(TunnelProvider provider, string? configuredPath, Uri local, string? authToken, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(provider);
        var executable = Locate(provider, configuredPath) ?? throw new TunnelException(
            $"the {provider.Executable} agent was not found {(string.IsNullOrWhiteSpace(configuredPath) ? "on the PATH" : $"at {configuredPath}")}: {provider.InstallHint}");
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        provider.AddArguments(start, local, authToken);

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new TunnelException($"the {provider.Executable} agent at {executable} could not be started");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new TunnelException($"the {provider.Executable} agent at {executable} could not run ({ex.Message}): {provider.InstallHint}");
        }

        var agent = new TunnelAgent(process, provider);
        agent.Watch();
        try
        {
            await agent.url.Task.WaitAsync(timeout, cancellationToken);
            return agent;
        }
        catch (TimeoutException)
        {
            await agent.DisposeAsync();
            throw new TunnelException($"the {provider.Executable} agent reported no public URL within {timeout.TotalSeconds:0} s" + (agent.lastError is null ? string.Empty : $": {agent.lastError}"));
        }
        catch
        {
            await agent.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops the agent (SIGKILL to its process tree; the agents keep no state worth a graceful stop) and waits for it.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(wait.Token);
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException or System.ComponentModel.Win32Exception)
        {
        }

        process.Dispose();
    }

    private void Read(string? line)
    {
        if (line is null)
        {
            return;
        }

        if (provider.ReadError(line) is { } error)
        {
            lastError = error;
        }

        if (!url.Task.IsCompleted && provider.ReadUrl(line) is { } found)
        {
            url.TrySetResult(found);
        }
    }

    private string SafeExitCode()
    {
        try
        {
            return process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (InvalidOperationException)
        {
            return "unknown";
        }
    }
}
