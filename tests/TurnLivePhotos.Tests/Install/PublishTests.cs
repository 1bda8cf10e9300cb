using System.Net;
using System.Text.Json;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Install;

/// <summary>
/// <c>dotnet publish -r linux-x64 --self-contained</c> gives a folder that runs without a .NET install, and the
/// hosted recipes (Dockerfile, Dockerfile.cuda, the Colab notebook) use exactly the publish and serve commands run
/// here: the tests read those files, compare their commands with these, and run the published program with them.
/// The publish runs once for the class, on a copy of the sources (its restore must not disturb the working tree's).
/// </summary>
[Collection(DotnetBuildsCollection.Name)]
public sealed class PublishTests(PublishTests.PublishedFolder published) : IClassFixture<PublishTests.PublishedFolder>
{
    /// <summary>The publish command, as the Dockerfile and the notebook give it (they add -o, the GPU build adds its flavor).</summary>
    public static readonly string[] PublishCommand = ["dotnet", "publish", "src/TurnLivePhotos", "-c", "Release", "-r", "linux-x64", "--self-contained"];

    private const string GpuFlavor = "-p:OnnxRuntimeFlavor=Gpu";

    [Fact]
    public async Task The_published_folder_is_self_contained_and_converts_without_a_dotnet_install()
    {
        using var folder = new TempFolder();
        var photo = folder.Write("photo.jpg", TestPhotos.Scene(160, 120));
        Assert.True(File.Exists(Path.Combine(published.Path, "libcoreclr.so")));
        var noDotnet = new Dictionary<string, string> { ["DOTNET_ROOT"] = folder["no-dotnet"], ["PATH"] = "/usr/bin:/bin" };

        var (exit, output, errors) = await CliProcess.RunProgramAsync(published.Program, folder.Path, noDotnet, "convert", photo, "--format", "gif", "--frames", "3");

        Assert.True(exit == 0, string.Join(" | ", errors));
        Assert.Contains(output, line => line.Contains(folder["outputs/photo.gif"], StringComparison.Ordinal));
        Assert.Equal(3, GifInfo.Read(await File.ReadAllBytesAsync(folder["outputs/photo.gif"])).Frames);
    }

    [Theory]
    [InlineData("Dockerfile", false)]
    [InlineData("Dockerfile.cuda", true)]
    public void The_dockerfiles_publish_with_the_tested_command(string file, bool gpu)
    {
        var run = DockerInstructions(file).Where(i => i.Keyword == "RUN" && i.Arguments.Contains("dotnet publish", StringComparison.Ordinal)).Select(i => i.Arguments);

        var command = Assert.Single(run).Split(' ', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(gpu ? [.. PublishCommand, "-o", "/app", GpuFlavor] : [.. PublishCommand, "-o", "/app"], command);
    }

    [Fact]
    public async Task The_dockerfiles_serve_command_serves_the_page_and_writes_results_to_the_outputs_volume()
    {
        var instructions = DockerInstructions("Dockerfile");
        var entrypoint = JsonSerializer.Deserialize<string[]>(Assert.Single(instructions, i => i.Keyword == "ENTRYPOINT").Arguments)!;
        var cmd = JsonSerializer.Deserialize<string[]>(Assert.Single(instructions, i => i.Keyword == "CMD").Arguments)!;
        var workdir = instructions.Last(i => i.Keyword == "WORKDIR").Arguments;
        var volumes = JsonSerializer.Deserialize<string[]>(Assert.Single(instructions, i => i.Keyword == "VOLUME").Arguments)!;
        var environment = Assert.Single(instructions, i => i.Keyword == "ENV").Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2)).ToDictionary(pair => pair[0], pair => pair[1]);
        Assert.Equal(["/app/turn-live-photos"], entrypoint);
        Assert.Equal([$"{workdir}/models", $"{workdir}/outputs"], volumes);
        Assert.Equal("0.0.0.0", environment["TLP_WebOptions__Host"]);
        Assert.Equal("5000", environment["TLP_WebOptions__Port"]);
        Assert.Contains("EXPOSE 5000", DockerInstructions("Dockerfile").Select(i => $"{i.Keyword} {i.Arguments}"));

        // The container's command in a folder standing for its working folder; only the address differs: loopback
        // and a free port here instead of 0.0.0.0:5000.
        using var data = new TempFolder();
        environment["TLP_WebOptions__Host"] = "127.0.0.1";
        environment["TLP_WebOptions__Port"] = "0";
        using var server = CliProcess.StartProgram(published.Program, data.Path, environment, cmd);
        var serving = await server.WaitForOutputAsync(l => l.StartsWith("Serving", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        using var client = new HttpClient { BaseAddress = new Uri(serving.Split(' ').Last()) };
        using var response = await client.PostAsync("generate", RunningServer.Form(TestPhotos.Scene(120, 90)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(Directory.GetFiles(data["outputs"], "*.gif", SearchOption.AllDirectories));
        Assert.Equal(0, await server.TerminateAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task The_colab_notebook_publishes_and_serves_through_a_tunnel_with_the_tested_commands()
    {
        var lines = NotebookShellLines();
        var publish = Assert.Single(lines, l => l.StartsWith("dotnet publish", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var serve = Assert.Single(lines, l => l.Contains("turn-live-photos serve", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([.. PublishCommand, "-o", "/content/app", GpuFlavor], publish);
        Assert.Equal("/content/app/turn-live-photos", serve[0]);

        // The notebook's serve command with the published program and a stand-in cloudflared (as in TunnelTests);
        // a configuration.ini in the working folder keeps the server on loopback.
        using var folder = new TempFolder();
        folder.Write("configuration.ini", "[WebOptions]\nHost=127.0.0.1\nPort=0\n");
        var agent = folder.Write("agents/cloudflared",
            "#!/bin/sh\necho '2026-11-25T22:40:01Z INF |  https://colab-check.trycloudflare.com                                  |' >&2\nexec sleep 600\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(agent, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var path = new Dictionary<string, string> { ["PATH"] = folder["agents"] + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH") };
        using var server = CliProcess.StartProgram(published.Program, folder.Path, path, serve[1..]);
        var url = await server.WaitForOutputAsync(l => l.StartsWith("Public URL:", StringComparison.Ordinal), TimeSpan.FromSeconds(60));

        Assert.StartsWith("Public URL: https://colab-check.trycloudflare.com/", url, StringComparison.Ordinal);
        Assert.Contains(server.Output, l => l.StartsWith("Access token for this run:", StringComparison.Ordinal));
        Assert.Equal(0, await server.TerminateAsync(TimeSpan.FromSeconds(30)));
    }

    /// <summary>A Dockerfile's instructions, continuation lines joined, comments dropped.</summary>
    private static List<(string Keyword, string Arguments)> DockerInstructions(string file)
    {
        var text = File.ReadAllText(Path.Combine(DotnetCli.RepositoryRoot, file)).Replace("\\\n", " ", StringComparison.Ordinal);
        return text.Split('\n')
            .Select(line => line.Trim())
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split(' ', 2))
            .Select(parts => (parts[0].ToUpperInvariant(), string.Join(' ', parts[1].Split(' ', StringSplitOptions.RemoveEmptyEntries))))
            .ToList();
    }

    /// <summary>The shell lines (<c>!command</c>) of the notebook's code cells.</summary>
    private static List<string> NotebookShellLines()
    {
        using var notebook = JsonDocument.Parse(File.ReadAllText(Path.Combine(DotnetCli.RepositoryRoot, "hosting", "colab.ipynb")));
        return notebook.RootElement.GetProperty("cells").EnumerateArray()
            .Where(cell => cell.GetProperty("cell_type").GetString() == "code")
            .SelectMany(cell => cell.GetProperty("source").EnumerateArray().Select(line => line.GetString()!.Trim()))
            .Where(line => line.StartsWith('!'))
            .Select(line => line[1..].Trim())
            .ToList();
    }

    /// <summary>One self-contained linux-x64 publish, made with <see cref="PublishCommand"/> from a copy of the sources.</summary>
    public sealed class PublishedFolder : IAsyncLifetime
    {
        private readonly TempFolder folder = new();

        public string Path => folder["app"];

        public string Program => System.IO.Path.Combine(Path, "turn-live-photos");

        public async Task InitializeAsync()
        {
            var sources = folder["sources"];
            var root = DotnetCli.RepositoryRoot;
            foreach (var file in new[] { "Directory.Build.props", "Directory.Packages.props" })
            {
                Directory.CreateDirectory(sources);
                File.Copy(System.IO.Path.Combine(root, file), System.IO.Path.Combine(sources, file));
            }

            CopySources(System.IO.Path.Combine(root, "src"), System.IO.Path.Combine(sources, "src"));
            var (exit, output) = await DotnetCli.RunAsync(sources, null, [.. PublishCommand.Skip(1), "-o", Path]);
            Assert.True(exit == 0, output);
        }

        public Task DisposeAsync()
        {
            folder.Dispose();
            return Task.CompletedTask;
        }

        private static void CopySources(string from, string to)
        {
            Directory.CreateDirectory(to);
            foreach (var file in Directory.GetFiles(from))
            {
                File.Copy(file, System.IO.Path.Combine(to, System.IO.Path.GetFileName(file)));
            }

            foreach (var directory in Directory.GetDirectories(from).Where(d => System.IO.Path.GetFileName(d) is not ("bin" or "obj")))
            {
                CopySources(directory, System.IO.Path.Combine(to, System.IO.Path.GetFileName(directory)));
            }
        }
    }
}
