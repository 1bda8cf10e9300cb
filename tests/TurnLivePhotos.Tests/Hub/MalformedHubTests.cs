using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Hub;

/// <summary>
/// <c>model download</c>, the real program, against a loopback hub that answers one call badly: every malformed answer
/// ends the run with exit 1 and exactly one <c>error:</c> line (no stack trace), and nothing lands outside ModelsHome.
/// </summary>
public sealed class MalformedHubTests
{
    private static readonly Dictionary<string, Answer> Answers = new()
    {
        ["revision is not JSON"] = new(HubCall.Revision, (c, _) => ScriptedHub.WriteTextAsync(c, "{\"sha\": \"0123"), "not valid JSON"),
        ["revision is a list"] = new(HubCall.Revision, (c, _) => ScriptedHub.WriteTextAsync(c, "[1, 2, 3]"), "not an object"),
        ["revision sha is a number"] = new(HubCall.Revision, (c, _) => ScriptedHub.WriteTextAsync(c, "{\"sha\": 12}"), "gives no commit"),
        ["revision sha is not a commit"] = new(HubCall.Revision, (c, _) => ScriptedHub.WriteTextAsync(c, "{\"sha\": \"../../main\"}"), "not a git commit id"),
        ["revision declares 64 MiB"] = new(HubCall.Revision, DeclareHugeBody, "MiB accepted"),
        ["revision never ends"] = new(HubCall.Revision, StreamEndlessJson, "MiB accepted"),
        ["tree is not JSON"] = new(HubCall.Tree, (c, _) => ScriptedHub.WriteTextAsync(c, "[{\"path\": "), "not valid JSON"),
        ["tree is an object"] = new(HubCall.Tree, (c, _) => ScriptedHub.WriteTextAsync(c, "{\"files\": []}"), "not a list of files"),
        ["tree entry is a number"] = new(HubCall.Tree, (c, _) => ScriptedHub.WriteTextAsync(c, "[42]"), "not an object"),
        ["duplicate path"] = new(HubCall.Tree, Tree(entries => entries.Add(new(entries[0]))), "twice"),
        ["missing path"] = new(HubCall.Tree, Tree(entries => entries[0].Remove("path")), "has no path"),
        ["missing size"] = new(HubCall.Tree, Tree(entries => entries[0].Remove("size")), "has no size"),
        ["size as text"] = new(HubCall.Tree, Tree(entries => entries[0]["size"] = "34"), "not a whole number"),
        ["fractional size"] = new(HubCall.Tree, Tree(entries => entries[0]["size"] = 34.5), "not a whole number"),
        ["negative size"] = new(HubCall.Tree, Tree(entries => entries[0]["size"] = -1), "outside 0 to"),
        ["absurd size"] = new(HubCall.Tree, Tree(entries => entries[0]["size"] = long.MaxValue), "outside 0 to"),
        ["size beyond 64 bits"] = new(HubCall.Tree, Tree(entries => entries[0]["size"] = 1e30), "not a whole number"),
        ["path with .."] = new(HubCall.Tree, Tree(entries => entries[0]["path"] = "../escaped.json"), "not a plain relative path"),
        ["absolute path"] = new(HubCall.Tree, Tree(entries => entries[0]["path"] = "/tmp/escaped.json"), "not a plain relative path"),
        ["path with a NUL"] = new(HubCall.Tree, Tree(entries => entries[0]["path"] = "config.json\0x"), "not a plain relative path"),
        ["sha256 not hex"] = new(HubCall.Tree, Tree(entries => LfsOf(entries)["oid"] = "xyz"), "not 64 hex digits"),
        ["lfs is text"] = new(HubCall.Tree, Tree(entries => Lfs(entries)["lfs"] = "yes"), "not an object"),
        ["next page links to itself"] = new(HubCall.Tree, LinkToItself, "link back"),
        ["redirect loop"] = new(HubCall.Resolve, (c, _) => Redirect(c, c.Request.Path + c.Request.QueryString), "redirects"),
        ["redirect to file://"] = new(HubCall.Resolve, (c, _) => Redirect(c, "file:///etc/passwd"), "file: URL"),
        ["redirect to ftp://"] = new(HubCall.Resolve, (c, _) => Redirect(c, "ftp://127.0.0.1/model.safetensors"), "ftp: URL"),
        ["truncated body"] = new(HubCall.Resolve, CutHalfway, "could not be fetched"),
        ["truncated body, retried"] = new(HubCall.Resolve, CutHalfway, "could not be fetched", Retries: 1),
        ["wrong sha256"] = new(HubCall.Tree, Tree(entries => LfsOf(entries)["oid"] = Convert.ToHexStringLower(SHA256.HashData("other"u8))), "hash"),
        ["more bytes than listed"] = new(HubCall.Resolve, (c, _) => WriteBytesAsync(c, new byte[ScriptedHub.Files["model.safetensors"].Length + 10]), "more than the listed"),
    };

    public static TheoryData<string> Cases => [.. Answers.Keys];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_malformed_hub_answer_ends_model_download_with_one_error_line_and_exit_1(string name)
    {
        var answer = Answers[name];
        using var folder = new TempFolder();
        await using var hub = await ScriptedHub.StartAsync(answer.Call, answer.Handle);

        var run = await DownloadAsync(folder, hub, answer.Retries);

        Assert.True(run.ExitCode == 1, $"exit {run.ExitCode}: {string.Join(" | ", run.Errors)}");
        var line = Assert.Single(run.Errors);
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains(answer.Expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain(run.Output.Concat(run.Errors), l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal) || l.Contains("Exception", StringComparison.Ordinal));
        Assert.Empty(Directory.EnumerateFileSystemEntries(folder.Path, "escaped*", SearchOption.AllDirectories));
        Assert.False(File.Exists("/tmp/escaped.json"));
    }

    [Fact]
    public async Task The_same_hub_answering_well_gives_a_complete_download()
    {
        using var folder = new TempFolder();
        await using var hub = await ScriptedHub.StartAsync();

        var run = await DownloadAsync(folder, hub, retries: 0);

        Assert.True(run.ExitCode == 0, string.Join(" | ", run.Errors));
        foreach (var (path, bytes) in ScriptedHub.Files)
        {
            Assert.Equal(bytes, await File.ReadAllBytesAsync(folder[$"models/{ScriptedHub.RepoId}/{path}"]));
        }
    }

    private static async Task<(int ExitCode, IReadOnlyList<string> Output, IReadOnlyList<string> Errors)> DownloadAsync(TempFolder folder, ScriptedHub hub, int retries)
    {
        var config = folder.Write("c.ini",
            $"[InstallationOptions]\nModelRepositoryUrl={new Uri(hub.Endpoint, "tiny-org/svd-tiny")}\n[StoreOptions]\nModelsHome={folder["models"]}\n" +
            $"[ModelOptions]\nDepthModelName={ScriptedHub.RepoId}\n");
        var environment = new Dictionary<string, string>
        {
            ["HF_HOME"] = folder["hf-home"],
            ["HF_HUB_CACHE"] = folder["hf-home/hub"],
            ["HF_TOKEN"] = string.Empty,
            ["HF_ENDPOINT"] = string.Empty,
        };
        return await CliProcess.RunAsync(folder.Path, environment, "model", "download", "depth", "--config", config, "--retries", retries.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private static Func<HttpContext, ScriptedHub, Task> Tree(Action<List<Dictionary<string, object>>> change) => (context, _) =>
    {
        var entries = ScriptedHub.TreeEntries();
        change(entries);
        return ScriptedHub.WriteJsonAsync(context, entries);
    };

    private static Dictionary<string, object> Lfs(List<Dictionary<string, object>> entries) => entries.First(entry => entry.ContainsKey("lfs"));

    private static Dictionary<string, object> LfsOf(List<Dictionary<string, object>> entries) => (Dictionary<string, object>)Lfs(entries)["lfs"];

    private static Task Redirect(HttpContext context, string location)
    {
        context.Response.StatusCode = 302;
        context.Response.Headers.Location = location;
        return Task.CompletedTask;
    }

    private static async Task DeclareHugeBody(HttpContext context, ScriptedHub hub)
    {
        context.Response.ContentLength = 64L << 20;
        await context.Response.WriteAsync("{\"sha\": \"");
        await context.Response.Body.FlushAsync();
        await UntilClientLeavesAsync(context);
    }

    /// <summary>A JSON string that never closes, sent without a length: 1 MiB at a time, at most 40 MiB, until the client hangs up.</summary>
    private static async Task StreamEndlessJson(HttpContext context, ScriptedHub hub)
    {
        var chunk = new byte[1 << 20];
        Array.Fill(chunk, (byte)'a');
        try
        {
            await context.Response.WriteAsync("{\"sha\": \"", context.RequestAborted);
            for (var i = 0; i < 40 && !context.RequestAborted.IsCancellationRequested; i++)
            {
                await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // the client stopped reading, as it should
        }
    }

    private static async Task UntilClientLeavesAsync(HttpContext context)
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task LinkToItself(HttpContext context, ScriptedHub hub)
    {
        context.Response.Headers["Link"] = $"<{new Uri(hub.Endpoint, context.Request.Path.Value!.TrimStart('/') + context.Request.QueryString)}>; rel=\"next\"";
        await ScriptedHub.WriteJsonAsync(context, ScriptedHub.TreeEntries());
    }

    private static async Task CutHalfway(HttpContext context, ScriptedHub hub)
    {
        var bytes = ScriptedHub.Files.TryGetValue(context.Request.Path.Value!.Split('/')[^1], out var known) ? known : [];
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes.AsMemory(0, bytes.Length / 2));
        await context.Response.Body.FlushAsync();
        context.Abort();
    }

    private static async Task WriteBytesAsync(HttpContext context, byte[] bytes)
    {
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes);
    }

    private sealed record Answer(HubCall Call, Func<HttpContext, ScriptedHub, Task> Handle, string Expected, int Retries = 0);
}
