using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TurnLivePhotos.Bench;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Server;

/// <summary>
/// The page's engine list and its <b>Get the model</b> button against the real server: which engines can run and
/// why not, a depth model fetched from the loopback hub into the folder the cinematic engine reads, and the Live
/// Photo's parts for the phone and the Mac.
/// </summary>
public sealed class ModelsEndpointsTests
{
    public static TheoryData<string> DepthSets => FixtureSets.DepthSets;

    [Fact]
    public async Task A_server_with_only_the_classic_engine_lists_the_others_as_not_installed_with_the_reason_and_command_and_offers_no_download()
    {
        await using var server = await RunningServer.StartAsync();

        var engines = (await server.Client.GetFromJsonAsync<JsonElement>("api/v1/models")).GetProperty("engines").EnumerateArray().ToList();

        Assert.Equal(["classic", "cinematic", "svd"], engines.Select(e => e.GetProperty("engine").GetString()));
        Assert.True(engines[0].GetProperty("installed").GetBoolean());
        Assert.False(engines[0].TryGetProperty("reason", out _));
        Assert.All(engines.Skip(1), e => Assert.False(e.GetProperty("installed").GetBoolean()));
        Assert.Contains("not part of this set-up", engines[1].GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal("turn-live-photos model download depth", engines[1].GetProperty("command").GetString());
        Assert.Equal("turn-live-photos model download", engines[2].GetProperty("command").GetString());
        Assert.All(engines, e => Assert.False(e.TryGetProperty("model", out _)));
        using var refused = await server.Client.PostAsync("api/v1/models/depth/download", null);
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
    }

    [Theory]
    [MemberData(nameof(DepthSets))]
    public async Task Get_the_model_downloads_the_depth_model_on_the_server_with_progress_and_the_cinematic_engine_then_runs(string set)
    {
        using var folder = new TempFolder();
        foreach (var name in new[] { "config.json", "model.safetensors", "preprocessor_config.json" })
        {
            Directory.CreateDirectory(folder["repo"]);
            File.Copy(Path.Combine(FixtureSets.Folder(set), name), Path.Combine(folder["repo"], name));
        }

        await using var hub = await LoopbackHub.StartAsync("depth-anything/Depth-Anything-V2-Small-hf", folder["repo"]);
        await using var server = await RunningServer.StartAsync(
            s => s with { ModelRepositoryUrl = $"{hub.Endpoint}stabilityai/stable-video-diffusion-img2vid-xt" }, builtInEngines: true);
        var cinematic = await EngineAsync(server, "cinematic");
        Assert.False(cinematic.GetProperty("installed").GetBoolean());
        Assert.Equal("depth", cinematic.GetProperty("model").GetString());
        Assert.Equal("not_started", cinematic.GetProperty("download").GetProperty("state").GetString());
        Assert.Equal("classic", (await server.Client.GetFromJsonAsync<JsonElement>("api/v1/engine")).GetProperty("engine").GetString());

        using var started = await server.Client.PostAsync("api/v1/models/depth/download", null);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        Assert.Equal("/api/v1/models/depth/download", started.Headers.Location?.OriginalString);
        var status = await WaitForDownloadAsync(server, "depth");

        var total = new DirectoryInfo(folder["repo"]).GetFiles().Sum(f => f.Length);
        Assert.Equal(total, status.GetProperty("bytes_total").GetInt64());
        Assert.Equal(total, status.GetProperty("bytes_done").GetInt64());
        var target = Path.Combine(server.Settings.Store.ModelsHome, "depth-anything", "Depth-Anything-V2-Small-hf");
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(folder["repo"], "model.safetensors")), await File.ReadAllBytesAsync(Path.Combine(target, "model.safetensors")));
        Assert.True((await EngineAsync(server, "cinematic")).GetProperty("installed").GetBoolean());
        Assert.Equal("cinematic", (await server.Client.GetFromJsonAsync<JsonElement>("api/v1/engine")).GetProperty("engine").GetString());
    }

    [Fact]
    public async Task A_download_the_hub_refuses_fails_with_its_reason_and_unknown_models_are_404()
    {
        using var folder = new TempFolder();
        Directory.CreateDirectory(folder["repo"]);
        await using var hub = await LoopbackHub.StartAsync("someone/something-else", folder["repo"]); // no depth model there
        await using var server = await RunningServer.StartAsync(
            s => s with { ModelRepositoryUrl = $"{hub.Endpoint}stabilityai/stable-video-diffusion-img2vid-xt" }, builtInEngines: true);

        using var started = await server.Client.PostAsync("api/v1/models/depth/download", null);
        var status = await WaitForDownloadAsync(server, "depth", "failed");

        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        Assert.False(string.IsNullOrWhiteSpace(status.GetProperty("message").GetString()));
        Assert.Contains("depth-anything/Depth-Anything-V2-Small-hf", status.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("failed", (await EngineAsync(server, "cinematic")).GetProperty("download").GetProperty("state").GetString());
        foreach (var name in new[] { "animatelcm", "bogus", "0" })
        {
            using var unknown = await server.Client.PostAsync($"api/v1/models/{name}/download", null);
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task Only_the_token_holder_may_list_engines_or_start_a_download()
    {
        await using var server = await RunningServer.StartAsync(s => s with { Web = s.Web with { AccessToken = "models-token" } });

        using var list = await server.Client.GetAsync("api/v1/models");
        using var start = await server.Client.PostAsync("api/v1/models/depth/download", null);

        Assert.Equal(HttpStatusCode.Unauthorized, list.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, start.StatusCode);
        using var holder = new HttpRequestMessage(HttpMethod.Get, "api/v1/models");
        holder.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "models-token");
        using var listed = await server.Client.SendAsync(holder);
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        Assert.Equal(3, (await listed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("engines").GetArrayLength());
    }

    [RequiresToolsFact("ffmpeg")]
    public async Task A_Live_Photo_also_downloads_as_its_still_its_movie_and_its_pvt_package()
    {
        await using var server = await RunningServer.StartAsync();
        using var created = await server.Client.PostAsync("api/v1/jobs", RunningServer.Form(TestPhotos.Scene(160, 120), "p.jpg", ("formats", "live"), ("frames", "4")));
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        for (var waited = 0; (await server.Client.GetFromJsonAsync<JsonElement>($"api/v1/jobs/{id}")).GetProperty("state").GetString() != "succeeded"; waited += 50)
        {
            Assert.True(waited < 60_000, "the job did not finish");
            await Task.Delay(50);
        }

        using var still = await server.Client.GetAsync($"api/v1/jobs/{id}/live/still");
        using var movie = await server.Client.GetAsync($"api/v1/jobs/{id}/live/movie");
        using var package = await server.Client.GetAsync($"api/v1/jobs/{id}/live/package");
        using var unknown = await server.Client.GetAsync($"api/v1/jobs/{id}/live/zip");

        Assert.Equal("image/jpeg", still.Content.Headers.ContentType?.MediaType);
        Assert.Equal([0xFF, 0xD8], (await still.Content.ReadAsByteArrayAsync())[..2]);
        Assert.Equal("video/quicktime", movie.Content.Headers.ContentType?.MediaType);
        Assert.Equal("ftypqt  ", System.Text.Encoding.ASCII.GetString(await movie.Content.ReadAsByteArrayAsync(), 4, 8));
        var stillName = Path.GetFileNameWithoutExtension(still.Content.Headers.ContentDisposition?.FileNameStar ?? still.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        Assert.Equal(stillName + ".pvt.zip", package.Content.Headers.ContentDisposition?.FileNameStar ?? package.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        using var zip = new ZipArchive(new MemoryStream(await package.Content.ReadAsByteArrayAsync()));
        Assert.Equal([$"{stillName}.pvt/{stillName}.JPG", $"{stillName}.pvt/{stillName}.MOV", $"{stillName}.pvt/metadata.plist"],
            zip.Entries.Where(e => e.Length > 0).Select(e => e.FullName.Replace('\\', '/')).Order(StringComparer.Ordinal));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    private static async Task<JsonElement> EngineAsync(RunningServer server, string name) =>
        (await server.Client.GetFromJsonAsync<JsonElement>("api/v1/models")).GetProperty("engines").EnumerateArray().Single(e => e.GetProperty("engine").GetString() == name);

    private static async Task<JsonElement> WaitForDownloadAsync(RunningServer server, string model, string state = "succeeded")
    {
        for (var waited = 0; ; waited += 100)
        {
            var status = await server.Client.GetFromJsonAsync<JsonElement>($"api/v1/models/{model}/download");
            if (status.GetProperty("state").GetString() == state)
            {
                return status;
            }

            Assert.True(waited < 60_000, $"the {model} download is {status}, not {state}");
            await Task.Delay(100);
        }
    }
}
