using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Hub;

/// <summary>
/// <c>model download</c>, the real program, with a hub it cannot reach: a name that never resolves (.invalid, RFC 2606,
/// so nothing leaves the machine) and a loopback port nobody listens on. One <c>error:</c> line naming the hub as
/// offline or unreachable and the mirror settings, exit 1, no stack trace.
/// </summary>
public sealed class OfflineHubTests
{
    [Fact]
    public async Task A_hub_name_that_does_not_resolve_is_called_offline_with_the_mirror_settings_at_once()
    {
        using var folder = new TempFolder();
        var clock = Stopwatch.StartNew();

        var (exit, output, errors) = await DownloadAsync(folder, "http://nonexistent.invalid/org/repo", endpoint: null);

        Assert.Equal(1, exit);
        var line = Assert.Single(errors);
        Assert.StartsWith("error: offline or unreachable: the hub http://nonexistent.invalid could not be reached, its name does not resolve (", line, StringComparison.Ordinal);
        Assert.Contains("nonexistent.invalid:80", line, StringComparison.Ordinal);
        Assert.EndsWith("; to use a mirror, set HF_ENDPOINT=https://hf-mirror.com (or another mirror) or [InstallationOptions] ModelRepositoryUrl=https://hf-mirror.com/org/repo", line, StringComparison.Ordinal);
        AssertNoStackTrace(output, errors);

        // Six retries with the default backoff would take over a minute; a name that does not resolve is not retried.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_loopback_port_nobody_listens_on_is_unreachable_with_the_mirror_settings()
    {
        using var folder = new TempFolder();
        var port = ClosedPort();

        var (exit, output, errors) = await DownloadAsync(folder, $"http://127.0.0.1:{port}/org/repo", endpoint: null, "--retries", "0");

        Assert.Equal(1, exit);
        var line = Assert.Single(errors);
        Assert.StartsWith($"error: offline or unreachable: the hub http://127.0.0.1:{port} could not be reached, no connection could be made (", line, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{port}", line, StringComparison.Ordinal);
        Assert.Contains("HF_ENDPOINT=https://hf-mirror.com", line, StringComparison.Ordinal);
        Assert.Contains("[InstallationOptions] ModelRepositoryUrl=https://hf-mirror.com/org/repo", line, StringComparison.Ordinal);
        AssertNoStackTrace(output, errors);
    }

    [Fact]
    public async Task An_unreachable_hub_set_by_hf_endpoint_is_named_as_that_variable()
    {
        using var folder = new TempFolder();

        var (exit, output, errors) = await DownloadAsync(folder, "https://huggingface.co/org/repo", endpoint: "http://nonexistent.invalid");

        Assert.Equal(1, exit);
        var line = Assert.Single(errors);
        Assert.StartsWith("error: offline or unreachable: the hub http://nonexistent.invalid could not be reached", line, StringComparison.Ordinal);
        Assert.EndsWith("; HF_ENDPOINT is set to http://nonexistent.invalid: correct or unset it, or name a mirror such as HF_ENDPOINT=https://hf-mirror.com", line, StringComparison.Ordinal);
        AssertNoStackTrace(output, errors);
    }

    private static async Task<(int ExitCode, IReadOnlyList<string> Output, IReadOnlyList<string> Errors)> DownloadAsync(TempFolder folder, string repositoryUrl, string? endpoint, params string[] extra)
    {
        var config = folder.Write("c.ini", $"[InstallationOptions]\nModelRepositoryUrl={repositoryUrl}\n[StoreOptions]\nModelsHome={folder["models"]}\n");
        var environment = new Dictionary<string, string>
        {
            ["HF_HOME"] = folder["hf-home"],
            ["HF_HUB_CACHE"] = folder["hf-home/hub"],
            ["HF_TOKEN"] = string.Empty,
            ["HF_ENDPOINT"] = endpoint ?? string.Empty,
        };
        return await CliProcess.RunAsync(folder.Path, environment, ["model", "download", "depth", "--config", config, .. extra]);
    }

    private static void AssertNoStackTrace(IReadOnlyList<string> output, IReadOnlyList<string> errors) =>
        Assert.DoesNotContain(output.Concat(errors), line => line.TrimStart().StartsWith("at ", StringComparison.Ordinal) || line.Contains("Exception", StringComparison.Ordinal));

    /// <summary>A loopback port that was free a moment ago and that nothing listens on now.</summary>
    private static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
