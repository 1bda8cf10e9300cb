using TurnLivePhotos.Bench;
using TurnLivePhotos.Core.Models;
using TurnLivePhotos.Engine.Svd;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Hub;

/// <summary>
/// <c>model download animatelcm</c> and <c>model download depth</c> through the real program against the loopback
/// hub, each followed by a conversion that uses what was fetched.
/// </summary>
public sealed class ModelDownloadKindsTests
{
    public static TheoryData<string> Sets => FixtureSets.All;

    public static TheoryData<string> DepthSets => FixtureSets.DepthSets;

    [Theory]
    [MemberData(nameof(Sets))]
    public async Task Download_animatelcm_fetches_only_the_UNet_file_prints_the_key_to_set_and_fast_then_runs_on_it(string set)
    {
        using var folder = new TempFolder();
        var model = TinyModelFolder.Create(set, folder["models/tiny-svd"]);
        Directory.CreateDirectory(folder["repo"]);
        var published = HalfPrecision.Convert(SvdModelFolder.Open(model).Unet.Weights, folder["repo/AnimateLCM-SVD-xt.safetensors"]);
        Decoys(folder["repo"], "AnimateLCM-SVD-xt-1.1.safetensors", "app.py", "README.md");
        await using var hub = await LoopbackHub.StartAsync(ModelDownloads.AnimateLcmRepoId, folder["repo"]);
        var config = Config(folder, hub, "ModelName=tiny-svd\nImagePromptWidth=64\nImagePromptHeight=64\nOutputFrames=3\nDevice=cpu\n");
        var destination = folder["models/wangfuyun/AnimateLCM-SVD-xt/AnimateLCM-SVD-xt.safetensors"];

        var download = await CliProcess.RunAsync(folder.Path, Isolated(folder), "model", "download", "animatelcm", "--config", config);

        Assert.True(download.ExitCode == 0, string.Join('\n', download.Errors));
        Assert.Equal(["AnimateLCM-SVD-xt.safetensors"], TinyHubRepository.FilesUnder(folder["models/wangfuyun/AnimateLCM-SVD-xt"]));
        Assert.Equal(await File.ReadAllBytesAsync(published), await File.ReadAllBytesAsync(destination));
        Assert.DoesNotContain(hub.Requests, request => request.Path.Contains("1.1", StringComparison.Ordinal) || request.Path.Contains("app.py", StringComparison.Ordinal));
        Assert.Contains(download.Output, line => line.Contains($"set [ModelOptions] UNetWeights={destination}", StringComparison.Ordinal));

        var again = await CliProcess.RunAsync(folder.Path, Isolated(folder), "model", "download", "animatelcm", "--config", config);
        Assert.Contains(again.Output, line => line.Contains("nothing to do", StringComparison.Ordinal));
        var verify = await CliProcess.RunAsync(folder.Path, Isolated(folder), "model", "verify", "animatelcm", "--config", config);
        Assert.Equal(0, verify.ExitCode);
        Assert.Contains(verify.Output, line => line.StartsWith("AnimateLCM UNet: 1 files verified", StringComparison.Ordinal));
        var status = await CliProcess.RunAsync(folder.Path, Isolated(folder), "model", "status", "--config", config);
        Assert.Contains(status.Output, line => line.Contains($"downloaded to {destination} but not in use", StringComparison.Ordinal));

        var convert = await CliProcess.RunAsync(folder.Path, Isolated(folder), "convert", folder.Write("p.jpg", TestPhotos.Scene(160, 120)), "-o", folder["out"],
            "--config", config, "--set", $"ModelOptions:UNetWeights={destination}", "--quality", "fast", "--seed", "3", "--format", "gif", "--logging-level", "DEBUG");
        Assert.True(convert.ExitCode == 0, string.Join('\n', convert.Errors));
        Assert.Contains("3 frames, 4 AnimateLcm steps, seed 3", string.Join('\n', convert.Output.Concat(convert.Errors)), StringComparison.Ordinal);
        Assert.Equal(3, GifInfo.Read(await File.ReadAllBytesAsync(folder["out/p.gif"])).Frames);
    }

    [Fact]
    public async Task A_repository_without_the_UNet_file_or_an_unknown_model_name_is_a_clear_error()
    {
        using var folder = new TempFolder();
        Decoys(folder["repo"], "AnimateLCM-SVD-xt-1.1.safetensors", "README.md");
        await using var hub = await LoopbackHub.StartAsync(ModelDownloads.AnimateLcmRepoId, folder["repo"]);

        var download = await CliProcess.RunAsync(folder.Path, Isolated(folder), "model", "download", "animatelcm", "--config", Config(folder, hub, string.Empty));
        var unknown = await CliProcess.RunAsync(folder.Path, Isolated(folder), "model", "download", "lcm", "--config", Config(folder, hub, string.Empty));

        Assert.Equal(1, download.ExitCode);
        var line = Assert.Single(download.Errors);
        Assert.Contains("wangfuyun/AnimateLCM-SVD-xt has no AnimateLCM-SVD-xt.safetensors (it lists AnimateLCM-SVD-xt-1.1.safetensors)", line, StringComparison.Ordinal);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains(unknown.Errors, l => l.Contains("the model must be one of svd, animatelcm, depth, rife, got \"lcm\"", StringComparison.Ordinal));
        Assert.False(Directory.Exists(folder["models"]), "nothing is written for a refused download");
    }

    [Theory]
    [MemberData(nameof(DepthSets))]
    public async Task Download_depth_fills_the_folder_the_cinematic_engine_reads_and_auto_then_picks_it(string set)
    {
        using var folder = new TempFolder();
        foreach (var name in new[] { "config.json", "model.safetensors", "preprocessor_config.json" })
        {
            Directory.CreateDirectory(folder["repo"]);
            File.Copy(Path.Combine(FixtureSets.Folder(set), name), Path.Combine(folder["repo"], name));
        }

        Decoys(folder["repo"], "README.md", "onnx/model.onnx");
        await using var hub = await LoopbackHub.StartAsync("depth-anything/Depth-Anything-V2-Small-hf", folder["repo"]);
        var config = Config(folder, hub, string.Empty);
        var photo = folder.Write("p.jpg", TestPhotos.Scene(240, 160, seed: 6));
        var target = folder["models/depth-anything/Depth-Anything-V2-Small-hf"];

        var before = await CliProcess.RunAsync(folder.Path, Isolated(folder), "model", "status", "--config", config);
        Assert.Contains(before.Output, line => line.StartsWith("depth model: not found", StringComparison.Ordinal) && line.Contains("model download depth", StringComparison.Ordinal));
        var verifyBefore = await CliProcess.RunAsync(folder.Path, Isolated(folder), "model", "verify", "depth", "--config", config);
        Assert.Equal(1, verifyBefore.ExitCode);
        Assert.Contains(verifyBefore.Errors, line => line.Contains("no finished download", StringComparison.Ordinal) && line.Contains("model download depth", StringComparison.Ordinal));

        var download = await CliProcess.RunAsync(folder.Path, Isolated(folder), "model", "download", "depth", "--config", config);

        Assert.True(download.ExitCode == 0, string.Join('\n', download.Errors));
        Assert.Equal(["config.json", "model.safetensors", "preprocessor_config.json"], TinyHubRepository.FilesUnder(target).Order(StringComparer.Ordinal));
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(FixtureSets.Folder(set), "model.safetensors")), await File.ReadAllBytesAsync(Path.Combine(target, "model.safetensors")));
        var status = await CliProcess.RunAsync(folder.Path, Isolated(folder), "model", "status", "--config", config);
        Assert.Contains(status.Output, line => line.StartsWith($"depth model: found in ModelsHome: {target}", StringComparison.Ordinal) && line.Contains(hub.Commit, StringComparison.Ordinal));

        var convert = await CliProcess.RunAsync(folder.Path, Isolated(folder), "convert", photo, "-o", folder["out"], "--config", config, "--frames", "4", "--format", "gif");
        Assert.True(convert.ExitCode == 0, string.Join('\n', convert.Errors));
        Assert.Contains(convert.Output, line => line.StartsWith("Engine: cinematic", StringComparison.Ordinal));
        Assert.Equal(4, GifInfo.Read(await File.ReadAllBytesAsync(folder["out/p.gif"])).Frames);

        var verify = await CliProcess.RunAsync(folder.Path, Isolated(folder), "model", "verify", "depth", "--config", config);
        Assert.Equal(0, verify.ExitCode);
        Assert.Contains(verify.Output, line => line.StartsWith("depth model: 3 files verified", StringComparison.Ordinal));
        var weights = Path.Combine(target, "model.safetensors");
        var bytes = await File.ReadAllBytesAsync(weights);
        bytes[^10] ^= 1;
        await File.WriteAllBytesAsync(weights, bytes);
        var broken = await CliProcess.RunAsync(folder.Path, Isolated(folder), "model", "verify", "depth", "--config", config);
        Assert.Equal(1, broken.ExitCode);
        Assert.Contains(broken.Errors, line => line.Contains("model.safetensors: hash", StringComparison.Ordinal));
    }

    /// <summary>The SVD repository's URL on the loopback hub: the other models come from the same hub.</summary>
    private static string Config(TempFolder folder, LoopbackHub hub, string modelOptions) => folder.Write("c.ini",
        $"[InstallationOptions]\nModelRepositoryUrl={hub.Endpoint}stabilityai/stable-video-diffusion-img2vid-xt\n[StoreOptions]\nModelsHome={folder["models"]}\n[ModelOptions]\n{modelOptions}");

    /// <summary>Files the repository also holds and a download must leave alone.</summary>
    private static void Decoys(string repo, params string[] paths)
    {
        var random = new Random(11);
        foreach (var path in paths)
        {
            var bytes = new byte[20_000];
            random.NextBytes(bytes);
            var file = Path.Combine(repo, path);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllBytes(file, bytes);
        }
    }

    /// <summary>No real hub cache, token or endpoint of the machine leaks into the run.</summary>
    private static Dictionary<string, string> Isolated(TempFolder folder) => new()
    {
        ["HF_HOME"] = folder["hf-home"],
        ["HF_HUB_CACHE"] = folder["hf-home/hub"],
        ["HF_TOKEN"] = string.Empty,
        ["HF_ENDPOINT"] = string.Empty,
    };
}
