using TurnLivePhotos.Bench;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Hub;

/// <summary>
/// model download / status / verify and convert, end to end through the real program (a child process) against the
/// loopback hub, and a model found in a synthetic Hugging Face cache.
/// </summary>
public sealed class ModelCommandTests
{
    public static TheoryData<string> Sets => FixtureSets.All;

    [Theory]
    [MemberData(nameof(Sets))]
    public async Task Download_then_convert_gives_ai_frames_from_what_was_downloaded(string set)
    {
        const string secret = "hf_endToEndSecret42";
        using var folder = new TempFolder();
        var faults = new LoopbackHubFaults { CutOnce = new HashSet<string> { "unet/diffusion_pytorch_model.fp16.safetensors" } };
        await using var hub = await LoopbackHub.StartAsync(TinyHubRepository.RepoId, TinyHubRepository.Create(set, folder["repo"]), faults, requiredToken: secret);
        var config = folder.Write("c.ini",
            $"[InstallationOptions]\nModelRepositoryUrl={hub.RepositoryUrl}\n[StoreOptions]\nModelsHome={folder["models"]}\n" +
            $"[ModelOptions]\nModelName={TinyHubRepository.RepoId}\nVariant=fp16\nImagePromptWidth=64\nImagePromptHeight=64\nInferenceSteps=2\nDevice=cpu\n");
        var environment = Isolated(folder);

        var before = await CliProcess.RunAsync(folder.Path, environment, "convert", folder.Write("p.jpg", TestPhotos.Scene(160, 120)), "-o", folder["before"], "--config", config, "--format", "gif");
        Assert.Equal(0, before.ExitCode);
        Assert.Contains(before.Output, line => line.StartsWith("Engine: classic", StringComparison.Ordinal) && line.Contains("turn-live-photos model download", StringComparison.Ordinal));

        var refused = await CliProcess.RunAsync(folder.Path, environment, "model", "download", "--config", config);
        Assert.Equal(1, refused.ExitCode);
        var line = Assert.Single(refused.Errors);
        Assert.Contains("licence", line, StringComparison.Ordinal);

        var download = await CliProcess.RunAsync(folder.Path, new Dictionary<string, string>(environment) { ["HF_TOKEN"] = secret }, "model", "download", "--config", config);
        Assert.True(download.ExitCode == 0, string.Join('\n', download.Errors));
        Assert.DoesNotContain(download.Output.Concat(download.Errors), l => l.Contains(secret, StringComparison.Ordinal));
        Assert.Contains(download.Output, l => l.Contains("verified unet/diffusion_pytorch_model.fp16.safetensors", StringComparison.Ordinal));
        Assert.Contains(download.Output, l => l.Contains($"commit {hub.Commit}", StringComparison.Ordinal));
        Assert.Equal(TinyHubRepository.ExpectedFiles.Order(), TinyHubRepository.FilesUnder(folder[$"models/{TinyHubRepository.RepoId}"]).Order());

        var again = await CliProcess.RunAsync(folder.Path, environment, "model", "download", "--config", config);
        Assert.Equal(0, again.ExitCode);
        Assert.Contains(again.Output, l => l.Contains("nothing to do", StringComparison.Ordinal));

        var status = await CliProcess.RunAsync(folder.Path, environment, "model", "status", "--config", config);
        Assert.Contains(status.Output, l => l.Contains("found in ModelsHome", StringComparison.Ordinal));
        Assert.Contains(status.Output, l => l.Contains(hub.Commit, StringComparison.Ordinal));

        var verify = await CliProcess.RunAsync(folder.Path, environment, "model", "verify", "--config", config);
        Assert.Equal(0, verify.ExitCode);
        Assert.Contains(verify.Output, l => l.Contains($"{TinyHubRepository.ExpectedFiles.Count} files verified", StringComparison.Ordinal));

        var convert = await CliProcess.RunAsync(folder.Path, environment, "convert", folder["p.jpg"], "-o", folder["out"], "--config", config, "--engine", "svd", "--frames", "3", "--seed", "1", "--format", "gif");
        Assert.True(convert.ExitCode == 0, string.Join('\n', convert.Errors));
        Assert.Contains(convert.Output, l => l.StartsWith("Engine: svd", StringComparison.Ordinal));
        Assert.Equal(3, GifInfo.Read(await File.ReadAllBytesAsync(folder["out/p.gif"])).Frames);

        var weights = folder[$"models/{TinyHubRepository.RepoId}/vae/diffusion_pytorch_model.safetensors"];
        var bytes = await File.ReadAllBytesAsync(weights);
        bytes[^10] ^= 1;
        await File.WriteAllBytesAsync(weights, bytes);
        var broken = await CliProcess.RunAsync(folder.Path, environment, "model", "verify", "--config", config);
        Assert.Equal(1, broken.ExitCode);
        Assert.Contains(broken.Errors, l => l.Contains("vae/diffusion_pytorch_model.safetensors: hash", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public async Task A_model_in_the_hugging_face_cache_is_found_verified_and_used_in_place(string set)
    {
        using var folder = new TempFolder();
        const string commit = "0123456789abcdef0123456789abcdef01234567";
        var snapshot = SyntheticCache(set, folder["hf-cache"], TinyHubRepository.RepoId, commit);
        var config = folder.Write("c.ini",
            $"[InstallationOptions]\nModelRepositoryUrl=http://127.0.0.1:9/{TinyHubRepository.RepoId}\n[StoreOptions]\nModelsHome={folder["models"]}\n" +
            $"[ModelOptions]\nModelName={TinyHubRepository.RepoId}\nImagePromptWidth=64\nImagePromptHeight=64\nInferenceSteps=1\nDevice=cpu\n");
        var environment = new Dictionary<string, string>(Isolated(folder)) { ["HF_HUB_CACHE"] = folder["hf-cache"] };

        var status = await CliProcess.RunAsync(folder.Path, environment, "model", "status", "--config", config);
        Assert.Contains(status.Output, l => l.Contains("Hugging Face cache", StringComparison.Ordinal) && l.Contains(snapshot, StringComparison.Ordinal) && l.Contains(commit, StringComparison.Ordinal));

        var download = await CliProcess.RunAsync(folder.Path, environment, "model", "download", "--config", config);
        Assert.Equal(0, download.ExitCode);
        Assert.Contains(download.Output, l => l.Contains("nothing to download", StringComparison.Ordinal));
        Assert.False(Directory.Exists(folder["models"]), "nothing is copied out of the cache");

        var verify = await CliProcess.RunAsync(folder.Path, environment, "model", "verify", "--config", config);
        Assert.Equal(0, verify.ExitCode);
        Assert.Contains(verify.Output, l => l.Contains("4 files verified", StringComparison.Ordinal));

        var convert = await CliProcess.RunAsync(folder.Path, environment, "convert", folder.Write("p.jpg", TestPhotos.Scene(96, 96)), "-o", folder["out"], "--config", config, "--frames", "2", "--format", "gif");
        Assert.True(convert.ExitCode == 0, string.Join('\n', convert.Errors));
        Assert.Contains(convert.Output, l => l.StartsWith("Engine: svd", StringComparison.Ordinal) && l.Contains(snapshot, StringComparison.Ordinal));
    }

    /// <summary>huggingface_hub's layout: blobs named by SHA-256 (LFS) or git hash, snapshot files linking to them, refs/main.</summary>
    private static string SyntheticCache(string set, string cacheRoot, string repoId, string commit)
    {
        var plain = TinyModelFolder.Create(set, Path.Combine(cacheRoot, "plain"), halfPrecisionVariant: true);
        var repo = TurnLivePhotos.Hub.HubCache.RepoFolder(cacheRoot, repoId);
        var snapshot = Path.Combine(repo, "snapshots", commit);
        Directory.CreateDirectory(Path.Combine(repo, "blobs"));
        foreach (var file in Directory.EnumerateFiles(plain, "*", SearchOption.AllDirectories))
        {
            var bytes = File.ReadAllBytes(file);
            var isLfs = file.EndsWith(".safetensors", StringComparison.Ordinal);
            var blobName = isLfs ? Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)) : Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(bytes));
            var blob = Path.Combine(repo, "blobs", blobName);
            File.WriteAllBytes(blob, bytes);
            var link = Path.Combine(snapshot, Path.GetRelativePath(plain, file));
            Directory.CreateDirectory(Path.GetDirectoryName(link)!);
            File.CreateSymbolicLink(link, Path.GetRelativePath(Path.GetDirectoryName(link)!, blob));
        }

        Directory.Delete(plain, recursive: true);
        Directory.CreateDirectory(Path.Combine(repo, "refs"));
        File.WriteAllText(Path.Combine(repo, "refs", "main"), commit);
        return snapshot;
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
