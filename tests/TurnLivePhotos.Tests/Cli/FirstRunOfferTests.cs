using System.Net;
using System.Net.Sockets;
using TurnLivePhotos.Bench;
using TurnLivePhotos.Commands;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Cli;

/// <summary>
/// <c>convert</c> with no model offers the depth model (issue 26, item 5): driven in-process with a <see cref="Terminal"/>
/// of the test's own and the loopback hub serving the tiny depth fixtures.
/// </summary>
public sealed class FirstRunOfferTests
{
    private const string DepthRepo = "depth-anything/Depth-Anything-V2-Small-hf";

    public static TheoryData<string> DepthSets => FixtureSets.DepthSets;

    [Theory]
    [MemberData(nameof(DepthSets))]
    public async Task Answering_y_at_a_terminal_downloads_the_depth_model_then_converts_with_the_cinematic_engine(string set)
    {
        using var folder = new TempFolder();
        await using var hub = await StartHubAsync(folder, set);

        var (exit, output, errors) = await RunAsync(folder, Config(folder, hub.Endpoint), new Terminal(true, new StringReader("y\n")));

        Assert.True(exit == 0, string.Join('\n', errors));
        var offer = Assert.Single(output, line => line.StartsWith("No AI model yet.", StringComparison.Ordinal));
        var size = new[] { "config.json", "model.safetensors", "preprocessor_config.json" }.Sum(name => new FileInfo(Path.Combine(FixtureSets.Folder(set), name)).Length);
        Assert.Contains($"{size / 1e6:0.0} MB", offer, StringComparison.Ordinal);
        Assert.Contains("licence Apache-2.0", offer, StringComparison.Ordinal);
        Assert.Contains($"into {Target(folder)}", offer, StringComparison.Ordinal);
        Assert.Contains(output, line => line.StartsWith(FirstRunOffer.Question, StringComparison.Ordinal));
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(FixtureSets.Folder(set), "model.safetensors")), await File.ReadAllBytesAsync(Path.Combine(Target(folder), "model.safetensors")));
        Assert.Contains(output, line => line.StartsWith("Engine: cinematic", StringComparison.Ordinal));
        Assert.True(File.Exists(folder["out/p.gif"]));
    }

    [Theory]
    [MemberData(nameof(DepthSets))]
    public async Task Yes_downloads_without_asking_and_without_a_terminal(string set)
    {
        using var folder = new TempFolder();
        await using var hub = await StartHubAsync(folder, set);

        var (exit, output, errors) = await RunAsync(folder, Config(folder, hub.Endpoint), Terminal.None, "--yes");

        Assert.True(exit == 0, string.Join('\n', errors));
        Assert.DoesNotContain(output, line => line.Contains("[y/N]", StringComparison.Ordinal));
        Assert.Contains(output, line => line.StartsWith("Downloading it (--yes)", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(Target(folder), "model.safetensors")));
        Assert.Contains(output, line => line.StartsWith("Engine: cinematic", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(DepthSets))]
    public async Task Answering_n_downloads_nothing_and_converts_with_the_classic_engine(string set)
    {
        using var folder = new TempFolder();
        await using var hub = await StartHubAsync(folder, set);

        var (exit, output, errors) = await RunAsync(folder, Config(folder, hub.Endpoint), new Terminal(true, new StringReader("n\n")));

        Assert.True(exit == 0, string.Join('\n', errors));
        Assert.Contains(output, line => line.StartsWith(FirstRunOffer.Question, StringComparison.Ordinal));
        Assert.Contains(output, line => line.StartsWith("Engine: classic", StringComparison.Ordinal) && line.Contains("model download depth", StringComparison.Ordinal));
        Assert.DoesNotContain(hub.Requests, request => request.Path.Contains("/resolve/", StringComparison.Ordinal));
        Assert.False(Directory.Exists(Target(folder)));
        Assert.True(File.Exists(folder["out/p.gif"]));
    }

    [Fact]
    public async Task An_offline_hub_is_one_note_line_and_the_classic_engine()
    {
        using var folder = new TempFolder();
        var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop(); // nothing listens there now: the connection is refused

        var (exit, output, errors) = await RunAsync(folder, Config(folder, new Uri($"http://127.0.0.1:{port}/")), new Terminal(true, new StringReader("y\n")));

        Assert.True(exit == 0, string.Join('\n', errors));
        var note = Assert.Single(errors);
        Assert.StartsWith("note: the depth model for the AI (cinematic) engine could not be offered: offline or unreachable:", note, StringComparison.Ordinal);
        Assert.Contains("HF_ENDPOINT=", note, StringComparison.Ordinal);
        Assert.DoesNotContain(output, line => line.Contains("[y/N]", StringComparison.Ordinal) || line.TrimStart().StartsWith("at ", StringComparison.Ordinal));
        Assert.Contains(output, line => line.StartsWith("Engine: classic", StringComparison.Ordinal));
        Assert.True(File.Exists(folder["out/p.gif"]));
    }

    [Theory]
    [MemberData(nameof(DepthSets))]
    public async Task Without_a_terminal_nothing_is_asked_and_the_hub_is_not_contacted(string set)
    {
        using var folder = new TempFolder();
        await using var hub = await StartHubAsync(folder, set);

        var (exit, output, errors) = await RunAsync(folder, Config(folder, hub.Endpoint), Terminal.None);

        Assert.True(exit == 0, string.Join('\n', errors));
        Assert.Empty(hub.Requests);
        Assert.DoesNotContain(output, line => line.Contains("[y/N]", StringComparison.Ordinal) || line.StartsWith("No AI model yet.", StringComparison.Ordinal));
        Assert.Contains(output, line => line.StartsWith("Engine: classic", StringComparison.Ordinal));
        Assert.False(Directory.Exists(Target(folder)));
    }

    private static async Task<LoopbackHub> StartHubAsync(TempFolder folder, string set)
    {
        Directory.CreateDirectory(folder["repo"]);
        foreach (var name in new[] { "config.json", "model.safetensors", "preprocessor_config.json" })
        {
            File.Copy(Path.Combine(FixtureSets.Folder(set), name), Path.Combine(folder["repo"], name));
        }

        return await LoopbackHub.StartAsync(DepthRepo, folder["repo"]);
    }

    private static string Target(TempFolder folder) => folder["models/" + DepthRepo];

    /// <summary>The hub named through ModelRepositoryUrl; ModelName is not a repository id, so no hub cache of the machine can supply an SVD model.</summary>
    private static string Config(TempFolder folder, Uri hub) => folder.Write("c.ini",
        $"[InstallationOptions]\nModelRepositoryUrl={hub}stabilityai/stable-video-diffusion-img2vid-xt\n[StoreOptions]\nModelsHome={folder["models"]}\n[ModelOptions]\nModelName=no-svd-here\n");

    private static async Task<(int Exit, List<string> Output, List<string> Errors)> RunAsync(TempFolder folder, string config, Terminal terminal, params string[] extra)
    {
        var photo = folder.Write("p.jpg", TestPhotos.Scene(240, 160, seed: 6));
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await TurnLivePhotos.Commands.Cli.RunAsync(
            ["convert", photo, "-o", folder["out"], "--frames", "4", "--format", "gif", "--config", config, .. extra], output, error, terminal);
        return (exit, Lines(output), Lines(error));
    }

    private static List<string> Lines(StringWriter writer) =>
        writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
}
