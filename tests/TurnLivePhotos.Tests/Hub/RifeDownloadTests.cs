using System.Security.Cryptography;
using TurnLivePhotos.Bench;
using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Core.Models;
using TurnLivePhotos.Tests.Media;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Hub;

/// <summary>
/// <c>model download rife</c> through the real program against a release asset served by the loopback hub (a 302
/// to its CDN listener, as a GitHub release download answers): verified placement, resume after a cut, refusal of
/// other bytes, and <c>convert --interpolate rife</c> finding what was fetched.
/// </summary>
public sealed class RifeDownloadTests
{
    private const string Asset = "flownet.pkl";

    [Fact]
    public async Task Download_places_the_verified_file_without_a_token_status_and_verify_see_it_and_a_second_run_fetches_nothing()
    {
        using var folder = new TempFolder();
        var bytes = RandomBytes(700_000, seed: 3);
        folder.Write("release/" + Asset, bytes);
        await using var hub = await LoopbackHub.StartAsync("org/releases", folder["release"]);
        var config = Config(folder, hub.ReleaseAsset(Asset), Sha256(bytes));
        var environment = new Dictionary<string, string> { ["HF_TOKEN"] = "hf_neverSentToAReleaseHost" };

        var before = await CliProcess.RunAsync(folder.Path, environment, "model", "status", "--config", config);
        Assert.Contains(before.Output, l => l.StartsWith("RIFE model: not found", StringComparison.Ordinal) && l.Contains("`turn-live-photos model download rife`", StringComparison.Ordinal));

        var download = await CliProcess.RunAsync(folder.Path, environment, "model", "download", "rife", "--config", config);

        Assert.True(download.ExitCode == 0, string.Join('\n', download.Errors));
        Assert.Equal(bytes, await File.ReadAllBytesAsync(folder["models/rife/flownet.pkl"]));
        Assert.False(File.Exists(folder["models/rife/flownet.pkl.part"]));
        Assert.Contains(download.Output, l => l.Contains($"verified {Asset}", StringComparison.Ordinal) && l.Contains(Sha256(bytes), StringComparison.Ordinal));
        Assert.Contains(hub.Requests, r => r.Listener == "hub" && r.Status == 302);
        Assert.Contains(hub.Requests, r => r.Listener == "cdn" && r.Status == 200);
        Assert.All(hub.Requests, r => Assert.False(r.HadAuthorization, "the hub token goes to no release host"));

        var requests = hub.Requests.Count;
        var again = await CliProcess.RunAsync(folder.Path, environment, "model", "download", "rife", "--config", config);
        Assert.Equal(0, again.ExitCode);
        Assert.Contains(again.Output, l => l.Contains("nothing to do", StringComparison.Ordinal));
        Assert.Equal(requests, hub.Requests.Count);

        var status = await CliProcess.RunAsync(folder.Path, environment, "model", "status", "--config", config);
        Assert.Contains(status.Output, l => l.StartsWith("RIFE model: found at " + folder["models/rife/flownet.pkl"], StringComparison.Ordinal));
        var verify = await CliProcess.RunAsync(folder.Path, environment, "model", "verify", "rife", "--config", config);
        Assert.Equal(0, verify.ExitCode);
    }

    [Fact]
    public async Task A_cut_transfer_keeps_its_part_file_and_the_next_run_resumes_it_with_a_range_request()
    {
        using var folder = new TempFolder();
        var bytes = RandomBytes(900_000, seed: 5);
        folder.Write("release/" + Asset, bytes);
        string partial;
        await using (var cutting = await LoopbackHub.StartAsync("org/releases", folder["release"], new LoopbackHubFaults { CutOnce = new HashSet<string> { Asset } }))
        {
            var config = Config(folder, cutting.ReleaseAsset(Asset), Sha256(bytes));
            var cut = await CliProcess.RunAsync(folder.Path, null, "model", "download", "rife", "--config", config, "--retries", "0");

            Assert.Equal(1, cut.ExitCode);
            var line = Assert.Single(cut.Errors);
            Assert.Contains("run the command again to resume", line, StringComparison.Ordinal);
            partial = folder["models/rife/flownet.pkl.part"];
            Assert.InRange(new FileInfo(partial).Length, 1, bytes.Length - 1);
            Assert.False(File.Exists(folder["models/rife/flownet.pkl"]));
        }

        var kept = new FileInfo(partial).Length;
        await using var hub = await LoopbackHub.StartAsync("org/releases", folder["release"]);
        var resumed = await CliProcess.RunAsync(folder.Path, null, "model", "download", "rife", "--config", Config(folder, hub.ReleaseAsset(Asset), Sha256(bytes)));

        Assert.True(resumed.ExitCode == 0, string.Join('\n', resumed.Errors));
        Assert.Equal(bytes, await File.ReadAllBytesAsync(folder["models/rife/flownet.pkl"]));
        Assert.Contains(hub.Requests, r => r.Listener == "cdn" && r.Range == $"bytes={kept}-" && r.Status == 206);
        Assert.False(File.Exists(partial));
    }

    [Fact]
    public async Task Bytes_that_do_not_hash_to_the_sha256_are_refused_in_one_line_and_leave_no_file()
    {
        using var folder = new TempFolder();
        folder.Write("release/" + Asset, RandomBytes(400_000, seed: 7));
        await using var hub = await LoopbackHub.StartAsync("org/releases", folder["release"]);
        var expected = Sha256(RandomBytes(400_000, seed: 8));
        var config = Config(folder, hub.ReleaseAsset(Asset), expected);

        var refused = await CliProcess.RunAsync(folder.Path, null, "model", "download", "rife", "--config", config);

        Assert.Equal(1, refused.ExitCode);
        var line = Assert.Single(refused.Errors);
        Assert.StartsWith("error: RIFE model: ", line, StringComparison.Ordinal);
        Assert.Contains($"expected sha256 {expected}", line, StringComparison.Ordinal);
        Assert.Contains("deleted", line, StringComparison.Ordinal);
        Assert.Empty(Directory.Exists(folder["models/rife"]) ? Directory.EnumerateFileSystemEntries(folder["models/rife"]) : []);
        Assert.Single(hub.Requests, r => r.Listener == "cdn" && r.Range is null); // refused at once, not fetched again and again
    }

    [Fact]
    public async Task With_the_pinned_release_a_mirror_serving_another_size_is_refused_before_its_bytes_are_fetched()
    {
        using var folder = new TempFolder();
        folder.Write("release/" + Asset, RandomBytes(300_000, seed: 9));
        await using var hub = await LoopbackHub.StartAsync("org/releases", folder["release"]);
        var config = Config(folder, hub.ReleaseAsset(Asset), sha256: null);

        var refused = await CliProcess.RunAsync(folder.Path, null, "model", "download", "rife", "--config", config);

        Assert.Equal(1, refused.ExitCode);
        var line = Assert.Single(refused.Errors);
        Assert.Contains($"the server's file is 300000 bytes, not the expected {RifeRelease.Size}", line, StringComparison.Ordinal);
        Assert.Empty(Directory.Exists(folder["models/rife"]) ? Directory.EnumerateFileSystemEntries(folder["models/rife"]) : []);
    }

    [Fact]
    public async Task A_different_file_already_at_the_path_is_kept_and_the_download_refused_in_one_line()
    {
        using var folder = new TempFolder();
        var mine = RandomBytes(1000, seed: 11);
        folder.Write("models/rife/flownet.pkl", mine);
        var config = Config(folder, new Uri("http://127.0.0.1:9/never-asked/flownet.pkl"), sha256: null);

        var refused = await CliProcess.RunAsync(folder.Path, null, "model", "download", "rife", "--config", config);

        Assert.Equal(1, refused.ExitCode);
        var line = Assert.Single(refused.Errors);
        Assert.Contains("is already there and is not the file asked for", line, StringComparison.Ordinal);
        Assert.Equal(mine, await File.ReadAllBytesAsync(folder["models/rife/flownet.pkl"]));
    }

    [RequiresToolsFact("ffprobe", "ffmpeg")]
    public async Task Convert_with_interpolate_rife_is_refused_without_the_model_and_brings_the_ai_clip_to_30_fps_once_it_is_downloaded()
    {
        using var folder = new TempFolder();
        TinyModelFolder.Create("svd-tiny", folder["models/tiny-org/svd-tiny"]);
        var model = InterpolateBench.WriteSynthetic(folder["release/flownet.safetensors"]); // the released network's shapes, random weights
        await using var hub = await LoopbackHub.StartAsync("org/releases", folder["release"]);
        var config = folder.Write("c.ini",
            $"[StoreOptions]\nModelsHome={folder["models"]}\n" +
            $"[ModelOptions]\nModelName=tiny-org/svd-tiny\nImagePromptWidth=64\nImagePromptHeight=64\nInferenceSteps=1\nDevice=cpu\n" +
            $"RifeModelPath={folder["models/rife/flownet.safetensors"]}\nRifeModelUrl={hub.ReleaseAsset("flownet.safetensors")}\nRifeModelSha256={Sha256(await File.ReadAllBytesAsync(model))}\n");
        var photo = folder.Write("p.jpg", TestPhotos.Scene(160, 120));
        string[] convert = ["convert", photo, "--config", config, "--engine", "svd", "--interpolate", "rife", "--frames", "3", "--seed", "1", "--format", "mp4"];

        var refused = await CliProcess.RunAsync(folder.Path, null, [.. convert, "-o", folder["before"]]);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains(refused.Errors, l => l.Contains("`turn-live-photos model download rife`", StringComparison.Ordinal));
        Assert.False(File.Exists(folder["before/p.mp4"]));

        var download = await CliProcess.RunAsync(folder.Path, null, "model", "download", "rife", "--config", config);
        Assert.True(download.ExitCode == 0, string.Join('\n', download.Errors));

        var converted = await CliProcess.RunAsync(folder.Path, null, [.. convert, "-o", folder["after"]]);
        Assert.True(converted.ExitCode == 0, string.Join('\n', converted.Errors));
        var movie = VideoFormatTests.Probe(folder["after/p.mp4"]);
        Assert.Equal("30/1", movie["r_frame_rate"]);
        Assert.True(int.Parse(movie["nb_read_frames"], System.Globalization.CultureInfo.InvariantCulture) > 3, "the three AI frames gained intermediate ones");
    }

    [Fact]
    public void The_pin_holds_by_default_and_for_a_mirror_and_gives_way_only_to_a_sha256_the_settings_name()
    {
        using var folder = new TempFolder();
        var pinned = ModelDownloads.Rife(SettingsLoader.Load(folder.Write("a.ini", "[StoreOptions]\nModelsHome=m\n")));
        Assert.Equal((RifeRelease.Url, RifeRelease.Sha256, (long?)RifeRelease.Size, folder["m/rife/flownet.pkl"]), (pinned.Url, pinned.Sha256, pinned.Size, pinned.Destination));

        var mirror = ModelDownloads.Rife(SettingsLoader.Load(folder.Write("b.ini", "[ModelOptions]\nRifeModelUrl=https://mirror.example/rife/flownet.pkl\n")));
        Assert.Equal((new Uri("https://mirror.example/rife/flownet.pkl"), RifeRelease.Sha256, (long?)RifeRelease.Size), (mirror.Url, mirror.Sha256, mirror.Size));

        var own = ModelDownloads.Rife(SettingsLoader.Load(folder.Write("c.ini", $"[ModelOptions]\nRifeModelSha256={new string('A', 64)}\n")));
        Assert.Equal((new string('a', 64), (long?)null), (own.Sha256, own.Size));
    }

    [Theory]
    [InlineData("RifeModelUrl", "file:///etc/passwd", "expected an http:// or https:// URL")]
    [InlineData("RifeModelUrl", "mirror/flownet.pkl", "expected an http:// or https:// URL")]
    [InlineData("RifeModelSha256", "6615790efd62777291720", "expected a SHA-256 of 64 hexadecimal digits")]
    [InlineData("RifeModelSha256", "zz15790efd627772917205db291f51cd392528a157ecbb2ecaeec3bff8eb6de2", "expected a SHA-256 of 64 hexadecimal digits")]
    public void A_bad_url_or_sha256_setting_is_one_error_naming_the_key_and_its_file(string key, string value, string expectation)
    {
        using var folder = new TempFolder();
        var path = folder.Write("c.ini", $"[ModelOptions]\n{key}={value}\n");

        var error = Assert.Throws<SettingsException>(() => SettingsLoader.Load(path));

        Assert.Equal($"invalid setting [ModelOptions] {key} = \"{value}\" (from c.ini): {expectation}", error.Message);
    }

    private static string Config(TempFolder folder, Uri? url, string? sha256) => folder.Write("c.ini",
        $"[StoreOptions]\nModelsHome={folder["models"]}\n[ModelOptions]\n" +
        (url is null ? string.Empty : $"RifeModelUrl={url}\n") +
        (sha256 is null ? string.Empty : $"RifeModelSha256={sha256.ToUpperInvariant()}\n"));

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
