using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using TurnLivePhotos.Bench;
using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Tests.Media;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Server;

/// <summary>
/// RIFE's weights on the page's model list and its download endpoint, through the real server: offered beside the SVD
/// engine only, fetched from a release asset on the loopback hub with progress, then used by the next AI job.
/// </summary>
public sealed class RifeModelEndpointTests
{
    [RequiresToolsFact("ffmpeg", "ffprobe")]
    public async Task Get_rife_fetches_the_pinned_file_on_the_server_and_the_next_ai_job_plays_at_30_fps_without_a_note()
    {
        using var models = new TempFolder();
        TinyModelFolder.Create("svd-tiny", models["tiny-svd"]);
        var weights = InterpolateBench.WriteSynthetic(models["release/flownet.safetensors"]); // the released shapes, random weights
        await using var hub = await LoopbackHub.StartAsync("org/releases", models["release"]);
        var configured = SettingsLoader.Load(models.Write("c.ini",
            $"[StoreOptions]\nModelsHome={models.Path}\n[ModelOptions]\nModelName=tiny-svd\nImagePromptWidth=64\nImagePromptHeight=64\nInferenceSteps=1\nOutputFrames=3\nDevice=cpu\n" +
            $"RifeModelPath={models["rife/flownet.safetensors"]}\nRifeModelUrl={hub.ReleaseAsset("flownet.safetensors")}\n" +
            $"RifeModelSha256={Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(weights)))}\n"));
        await using var server = await RunningServer.StartAsync(
            s => configured with { Store = configured.Store with { OutputsHome = s.Store.OutputsHome }, Web = s.Web }, builtInEngines: true);

        var before = await InterpolationAsync(server);
        Assert.Equal(("rife", false, "turn-live-photos model download rife", "not_started"),
            (before.GetProperty("model").GetString(), before.GetProperty("installed").GetBoolean(), before.GetProperty("command").GetString(), before.GetProperty("download").GetProperty("state").GetString()));

        using var started = await server.Client.PostAsync("api/v1/models/rife/download", null);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var done = await WaitForDownloadAsync(server);

        var size = new FileInfo(weights).Length;
        Assert.Equal((size, size), (done.GetProperty("bytes_done").GetInt64(), done.GetProperty("bytes_total").GetInt64()));
        Assert.Equal(await File.ReadAllBytesAsync(weights), await File.ReadAllBytesAsync(models["rife/flownet.safetensors"]));
        Assert.True((await InterpolationAsync(server)).GetProperty("installed").GetBoolean());

        using var created = await server.Client.PostAsync("api/v1/jobs", RunningServer.Form(TestPhotos.Scene(160, 120), "p.jpg", ("formats", "mp4"), ("engine", "svd")));
        var job = await server.SucceededJobAsync((await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!);
        Assert.False(job.TryGetProperty("interpolation_note", out _), job.ToString());
        using var movie = await server.Client.GetAsync(job.GetProperty("files").GetProperty("mp4").GetString());
        await File.WriteAllBytesAsync(models["job.mp4"], await movie.Content.ReadAsByteArrayAsync());
        Assert.Equal("30/1", VideoFormatTests.Probe(models["job.mp4"])["r_frame_rate"]);
    }

    [RequiresToolsFact("chromium")]
    public async Task The_page_offers_rife_under_the_svd_engine_and_its_get_button_fetches_it()
    {
        using var models = new TempFolder();
        TinyModelFolder.Create("svd-tiny", models["tiny-svd"]);
        var bytes = new byte[3_000_000];
        new Random(4).NextBytes(bytes);
        models.Write("release/flownet.pkl", bytes);
        await using var hub = await LoopbackHub.StartAsync("org/releases", models["release"], new LoopbackHubFaults { BytesPerSecond = 2_000_000 });
        var configured = SettingsLoader.Load(models.Write("c.ini",
            $"[StoreOptions]\nModelsHome={models.Path}\n[ModelOptions]\nModelName=tiny-svd\nDevice=cpu\n" +
            $"RifeModelUrl={hub.ReleaseAsset("flownet.pkl")}\nRifeModelSha256={Convert.ToHexStringLower(SHA256.HashData(bytes))}\n"));
        await using var server = await RunningServer.StartAsync(
            s => configured with { Store = configured.Store with { OutputsHome = s.Store.OutputsHome }, Web = s.Web }, builtInEngines: true);
        await using var browser = await BrowserTests.LaunchAsync();
        var page = await browser.NewPageAsync();
        await page.GotoAsync(server.BaseAddress.ToString());

        await page.ClickAsync("#advanced summary");
        var rife = page.Locator("#engines li[data-engine=svd] .model[data-model=rife]");
        await rife.WaitForAsync();
        Assert.StartsWith("AI clips at 30 fps (RIFE) — not installed", await rife.Locator("div").First.TextContentAsync(), StringComparison.Ordinal);
        Assert.Equal("turn-live-photos model download rife", await rife.Locator("code").TextContentAsync());
        await rife.Locator("button.get-model").ClickAsync();
        await page.WaitForFunctionAsync("() => document.querySelector('#engines .model[data-model=rife]')?.textContent.includes('— installed')", null, new() { Timeout = 60_000 });

        Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(models.Path, "rife", "flownet.pkl")));
        Assert.Equal(0, await page.Locator("#engines .model[data-model=rife] button.get-model").CountAsync());
    }

    [Fact]
    public async Task A_server_without_the_svd_engine_neither_lists_nor_fetches_rife()
    {
        await using var server = await RunningServer.StartAsync();

        var list = await server.Client.GetFromJsonAsync<JsonElement>("api/v1/models");
        using var refused = await server.Client.PostAsync("api/v1/models/rife/download", null);

        Assert.False(list.TryGetProperty("interpolation", out _));
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
    }

    private static async Task<JsonElement> InterpolationAsync(RunningServer server) =>
        (await server.Client.GetFromJsonAsync<JsonElement>("api/v1/models")).GetProperty("interpolation");

    private static async Task<JsonElement> WaitForDownloadAsync(RunningServer server)
    {
        for (var waited = 0; ; waited += 100)
        {
            var status = await server.Client.GetFromJsonAsync<JsonElement>("api/v1/models/rife/download");
            if (status.GetProperty("state").GetString() is "succeeded" or "failed")
            {
                Assert.True(status.GetProperty("state").GetString() == "succeeded", status.ToString());
                return status;
            }

            Assert.True(waited < 60_000, $"the rife download is {status}");
            await Task.Delay(100);
        }
    }
}
