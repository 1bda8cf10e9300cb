using TurnLivePhotos.Bench;
using TurnLivePhotos.Hub;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Hub;

/// <summary>The downloader against the loopback hub: file selection, faults on the line, resume, tokens, disk space.</summary>
public sealed class HubDownloadTests
{
    private static readonly HubClientOptions Fast = new() { RetryDelay = TimeSpan.FromMilliseconds(50), IdleTimeout = TimeSpan.FromSeconds(10), AttemptTimeout = TimeSpan.FromSeconds(10) };

    public static TheoryData<string> Sets => FixtureSets.All;

    [Theory]
    [MemberData(nameof(Sets))]
    public async Task Download_survives_429_503_a_cut_connection_and_a_corrupted_byte_and_fetches_only_what_the_pipeline_needs(string set)
    {
        using var folder = new TempFolder();
        var repo = TinyHubRepository.Create(set, folder["repo"]);
        var faults = new LoopbackHubFaults
        {
            TooManyRequestsRetryAfter = 1,
            ServerErrorOnce = new HashSet<string> { "unet/config.json" },
            CutOnce = new HashSet<string> { "vae/diffusion_pytorch_model.safetensors" },
            CorruptOnce = new HashSet<string> { "image_encoder/model.safetensors" },
        };
        await using var hub = await LoopbackHub.StartAsync(TinyHubRepository.RepoId, repo, faults);
        using var client = new HubClient(Fast, token: null);
        var request = Request(hub, folder["models/tiny"]);

        var result = await new ModelDownloader(client).DownloadAsync(request, null, CancellationToken.None);

        Assert.Equal(TinyHubRepository.ExpectedFiles.Order(), TinyHubRepository.FilesUnder(folder["models/tiny"]).Order());
        foreach (var path in TinyHubRepository.ExpectedFiles)
        {
            Assert.True(File.ReadAllBytes(Path.Combine(repo, path)).AsSpan().SequenceEqual(File.ReadAllBytes(folder[$"models/tiny/{path}"])), $"{path} differs from the hub's copy");
        }

        Assert.Equal(hub.Commit, result.Manifest.Commit);
        Assert.True(result.Manifest.Complete);
        Assert.Equal(hub.Commit, DownloadManifest.Read(folder["models/tiny"])!.Commit);
        var requests = hub.Requests;
        Assert.Contains(requests, r => r.Path.EndsWith("/revision/main", StringComparison.Ordinal) && r.Status == 429);
        Assert.Contains(requests, r => r.Path.EndsWith("/revision/main", StringComparison.Ordinal) && r.Status == 200);
        Assert.Contains(requests, r => r.Path.EndsWith("resolve/" + hub.Commit + "/unet/config.json", StringComparison.Ordinal) && r.Status == 503);
        Assert.True(requests.Count(r => r.Path.Contains("/tree/", StringComparison.Ordinal)) > 1, "the tree listing is paged through Link headers");
        var vaeSha = result.Manifest.Files.Single(f => f.Path == "vae/diffusion_pytorch_model.safetensors").Sha256!;
        Assert.Contains(requests, r => r.Listener == "cdn" && r.Path.EndsWith(vaeSha, StringComparison.Ordinal) && r.Range is { } range && range.StartsWith("bytes=", StringComparison.Ordinal) && !range.StartsWith("bytes=0-", StringComparison.Ordinal));
        var clipSha = result.Manifest.Files.Single(f => f.Path == "image_encoder/model.safetensors").Sha256!;
        Assert.Equal(2, requests.Count(r => r.Listener == "cdn" && r.Path.EndsWith(clipSha, StringComparison.Ordinal) && r.Range is null));
        Assert.Empty(Directory.EnumerateFiles(folder["models/tiny"], "*.part", SearchOption.AllDirectories));
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public async Task A_second_run_finds_everything_verified_and_makes_no_request(string set)
    {
        using var folder = new TempFolder();
        await using var hub = await LoopbackHub.StartAsync(TinyHubRepository.RepoId, TinyHubRepository.Create(set, folder["repo"]));
        using var client = new HubClient(Fast, token: null);
        var downloader = new ModelDownloader(client);
        await downloader.DownloadAsync(Request(hub, folder["models/tiny"]), null, CancellationToken.None);
        var before = hub.Requests.Count;

        var again = await downloader.DownloadAsync(Request(hub, folder["models/tiny"]), null, CancellationToken.None);

        Assert.True(again.AlreadyComplete);
        Assert.Equal(0, again.FilesFetched);
        Assert.Equal(before, hub.Requests.Count);
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public async Task Cancelling_keeps_a_part_file_that_the_next_run_resumes_with_a_range_request(string set)
    {
        using var folder = new TempFolder();
        var repo = TinyHubRepository.Create(set, folder["repo"]);
        var destination = folder["models/tiny"];
        await using (var slow = await LoopbackHub.StartAsync(TinyHubRepository.RepoId, repo, new LoopbackHubFaults { BytesPerSecond = 400_000 }))
        {
            using var client = new HubClient(Fast, token: null);
            using var cancel = new CancellationTokenSource();
            var progress = new CancelAfterBytes(100_000, cancel);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new ModelDownloader(client).DownloadAsync(Request(slow, destination), progress, cancel.Token));
        }

        var parts = Directory.EnumerateFiles(destination, "*.part", SearchOption.AllDirectories).Where(p => new FileInfo(p).Length > 0).ToList();
        Assert.NotEmpty(parts);
        Assert.False(DownloadManifest.Read(destination)!.Complete);

        await using var hub = await LoopbackHub.StartAsync(TinyHubRepository.RepoId, repo);
        using var again = new HubClient(Fast, token: null);
        var result = await new ModelDownloader(again).DownloadAsync(Request(hub, destination), null, CancellationToken.None);

        Assert.True(result.Manifest.Complete);
        Assert.Contains(hub.Requests, r => r.Listener == "cdn" && r.Range is not null);
        Assert.DoesNotContain(hub.Requests, r => r.Path.Contains("/revision/", StringComparison.Ordinal)); // the recorded commit is resumed
        foreach (var path in TinyHubRepository.ExpectedFiles)
        {
            Assert.True(File.ReadAllBytes(Path.Combine(repo, path)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(destination, path))), path);
        }
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public async Task A_gated_model_needs_the_token_which_goes_to_the_hub_only_and_never_into_messages(string set)
    {
        const string secret = "hf_loopbackSecret0123456789";
        using var folder = new TempFolder();
        await using var hub = await LoopbackHub.StartAsync(TinyHubRepository.RepoId, TinyHubRepository.Create(set, folder["repo"]), requiredToken: secret);

        using (var anonymous = new HubClient(Fast, token: null))
        {
            var refused = await Assert.ThrowsAsync<HubException>(() => new ModelDownloader(anonymous).DownloadAsync(Request(hub, folder["a"]), null, CancellationToken.None));
            Assert.Contains("licence", refused.Message, StringComparison.Ordinal);
            Assert.Contains(hub.RepositoryUrl.ToString(), refused.Message, StringComparison.Ordinal);
            Assert.Contains("HF_TOKEN", refused.Message, StringComparison.Ordinal);
        }

        var wrong = HubToken.Find("hf_wrongWrongWrong", _ => null)!;
        using (var mistaken = new HubClient(Fast, wrong))
        {
            var refused = await Assert.ThrowsAsync<HubException>(() => new ModelDownloader(mistaken).DownloadAsync(Request(hub, folder["b"]), null, CancellationToken.None));
            Assert.DoesNotContain("hf_wrongWrongWrong", refused.Message, StringComparison.Ordinal);
            Assert.Contains("[InstallationOptions] HubToken", refused.Message, StringComparison.Ordinal);
        }

        using var tokenHome = new TempFolder();
        tokenHome.Write("token", secret + "\n");
        var fromFile = HubToken.Find(null, name => name == "HF_HOME" ? tokenHome.Path : null)!;
        Assert.Contains(tokenHome["token"], fromFile.Source, StringComparison.Ordinal);
        using var authorised = new HubClient(Fast, fromFile);
        var result = await new ModelDownloader(authorised).DownloadAsync(Request(hub, folder["c"]), null, CancellationToken.None);

        Assert.True(result.Manifest.Complete);
        Assert.All(hub.Requests.Where(r => r.Listener == "hub" && r.Status < 400), r => Assert.True(r.HadAuthorization));
        Assert.Contains(hub.Requests, r => r.Listener == "cdn");
        Assert.All(hub.Requests.Where(r => r.Listener == "cdn"), r => Assert.False(r.HadAuthorization, "the token must not follow the redirect to another host"));
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public async Task Too_little_free_space_stops_before_any_file_is_fetched(string set)
    {
        using var folder = new TempFolder();
        await using var hub = await LoopbackHub.StartAsync(TinyHubRepository.RepoId, TinyHubRepository.Create(set, folder["repo"]));
        using var client = new HubClient(Fast, token: null);

        var refused = await Assert.ThrowsAsync<NotEnoughSpaceException>(() => new ModelDownloader(client, _ => 1000).DownloadAsync(Request(hub, folder["models/tiny"]), null, CancellationToken.None));

        Assert.Contains("has 0.0 MB free", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(hub.Requests, r => r.Path.Contains("/resolve/", StringComparison.Ordinal) || r.Listener == "cdn");
    }

    private static DownloadRequest Request(LoopbackHub hub, string destination) =>
        new("SVD model", new HubRepository(hub.Endpoint, hub.RepoId), "main", destination, paths => TurnLivePhotos.Engine.Svd.SvdModelFolder.SelectFiles(paths, "fp16"));

    private sealed class CancelAfterBytes(long bytes, CancellationTokenSource cancel) : IDownloadProgress
    {
        private long seen;

        public void Planned(DownloadPlan plan)
        {
        }

        public void Advanced(HubFile file, long delta)
        {
            if (Interlocked.Add(ref seen, delta) > bytes)
            {
                cancel.Cancel();
            }
        }

        public void Completed(HubFile file)
        {
        }
    }
}
