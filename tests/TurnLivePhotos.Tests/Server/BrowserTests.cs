using System.IO.Compression;
using Microsoft.Playwright;
using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Tests.Configuration;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Server;

/// <summary>
/// The page in a real browser: Debian's Chromium driven by Playwright, headless, against the real server on loopback.
/// </summary>
public sealed class BrowserTests
{
    private const string Chromium = "/usr/bin/chromium";

    [RequiresToolsFact("chromium", "ffmpeg")]
    public async Task A_person_uploads_a_photo_watches_progress_plays_the_result_and_downloads_every_format()
    {
        await using var server = await RunningServer.StartAsync(s => s with { Model = s.Model with { Parameters = s.Model.Parameters with { Frames = 12 } } });
        using var folder = new TempFolder();
        var photo = folder.Write("harbour.jpg", TestPhotos.Scene(480, 320));
        await using var browser = await LaunchAsync();
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 390, Height = 844 }, AcceptDownloads = true });
        await page.GotoAsync(server.BaseAddress.ToString());
        await page.WaitForFunctionAsync("() => document.getElementById('frames').value === '12'"); // the server's default reached the page
        await page.CheckAsync("input[name=formats][value=webp]");

        await page.SetInputFilesAsync("#file", photo);
        await page.Locator("#result").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Visible, Timeout = 60_000 });

        var progress = await page.EvaluateAsync<double[]>("window.progressLog");
        Assert.True(progress.Distinct().Count() >= 3, $"the progress bar should move: {string.Join(", ", progress)}");
        Assert.Equal(100, progress[^1]);
        await page.HoverAsync("#drop");
        await page.WaitForFunctionAsync("() => !document.getElementById('motion').hidden && !document.getElementById('motion').paused");

        var downloads = page.Locator("#downloads a");
        Assert.Equal(5, await downloads.CountAsync());
        foreach (var format in new[] { "live", "motion", "mp4", "gif", "webp" })
        {
            var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync($"#downloads a[data-format={format}]"));
            var path = folder[$"download-{format}"];
            await download.SaveAsAsync(path);
            var bytes = await File.ReadAllBytesAsync(path);
            switch (format)
            {
                case "gif":
                    Assert.Equal(12, GifInfo.Read(bytes).Frames);
                    break;
                case "motion":
                    Assert.Contains("GCamera:MotionPhoto=\"1\"", System.Text.Encoding.Latin1.GetString(bytes), StringComparison.Ordinal);
                    break;
                case "live":
                    using (var zip = new ZipArchive(new MemoryStream(bytes)))
                    {
                        Assert.Equal([".JPG", ".MOV"], zip.Entries.Select(e => Path.GetExtension(e.Name)).Order());
                    }

                    break;
                case "mp4":
                    Assert.Equal("ftyp", System.Text.Encoding.ASCII.GetString(bytes, 4, 4));
                    break;
                default:
                    Assert.Equal("WEBP", System.Text.Encoding.ASCII.GetString(bytes, 8, 4));
                    break;
            }
        }

        Assert.Equal(1, await page.Locator("#history li").CountAsync());
        var screenshot = Path.Combine(SettingsTests.RepositoryRoot(), "TestResults", "browser", "finished-page.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        Assert.True(new FileInfo(screenshot).Length > 1000);
    }

    public static TheoryData<string> Sets => FixtureSets.All;

    /// <summary>
    /// Issue 13's page half: the tiny SVD model plus a separate AnimateLCM-style UNet file (the tiny UNet's weights
    /// in fp16, as the authors publish theirs), the person picks quality=fast, and the job runs the few-step sampler.
    /// The server's configuration sets the tiny size and frame count, which win over the preset as on the command line.
    /// </summary>
    [RequiresToolsTheory("chromium")]
    [MemberData(nameof(Sets))]
    public async Task A_person_picks_quality_fast_and_the_job_runs_the_few_step_sampler_on_the_AnimateLCM_UNet(string set)
    {
        using var models = new TempFolder();
        var model = TinyModelFolder.Create(set, models["tiny-svd"]);
        var lcm = HalfPrecision.Convert(TurnLivePhotos.Engine.Svd.SvdModelFolder.Open(model).Unet.Weights, models["AnimateLCM-SVD-xt.safetensors"]);
        var configured = SettingsLoader.Load(models.Write("c.ini",
            $"[StoreOptions]\nModelsHome={models.Path}\n[ModelOptions]\nModelName=tiny-svd\nUNetWeights={lcm}\nImagePromptWidth=64\nImagePromptHeight=64\nOutputFrames=3\nDevice=cpu\n"));
        await using var server = await RunningServer.StartAsync(
            s => configured with { Store = configured.Store with { OutputsHome = s.Store.OutputsHome }, Web = s.Web }, builtInEngines: true);
        var photo = models.Write("harbour.jpg", TestPhotos.Scene(160, 120));
        await using var browser = await LaunchAsync();
        var page = await browser.NewPageAsync();
        await page.GotoAsync(server.BaseAddress.ToString());
        await page.WaitForFunctionAsync("() => document.getElementById('engine').textContent.endsWith('svd')");
        Assert.False(await page.Locator("#sampler option[value=animatelcm]").IsDisabledAsync());

        await page.SelectOptionAsync("#quality", "fast");

        Assert.Equal("80", await page.InputValueAsync("#motion_bucket_id")); // the preset's values are shown before the upload
        Assert.Equal("1.2", await page.InputValueAsync("#max_guidance_scale"));
        Assert.Equal("3", await page.InputValueAsync("#frames"));
        Assert.Contains("4 animatelcm steps, up to 64×64", await page.Locator("#qualityHint").TextContentAsync(), StringComparison.Ordinal);
        foreach (var format in new[] { "live", "motion", "mp4" })
        {
            await page.UncheckAsync($"input[name=formats][value={format}]");
        }

        await page.SetInputFilesAsync("#file", photo);
        await page.Locator("#result").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Visible, Timeout = 120_000 });

        var job = Assert.Single(new TurnLivePhotos.Server.Jobs.SqliteJobStore(server.OutputsHome).List(1, 10).Jobs);
        var parameters = job.Request.Parameters;
        Assert.Equal((TurnLivePhotos.Engine.Svd.Sampler.AnimateLcm, 4, 3, 80, 1.2, 64), (parameters.Sampler, parameters.InferenceSteps, parameters.Frames, parameters.MotionBucketId, parameters.MaxGuidanceScale, parameters.TargetWidth));
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#downloads a[data-format=gif]"));
        await download.SaveAsAsync(models["result.gif"]);
        Assert.Equal(3, GifInfo.Read(await File.ReadAllBytesAsync(models["result.gif"])).Frames);
    }

    [RequiresToolsFact("chromium")]
    public async Task A_file_that_is_not_a_photo_shows_a_readable_error()
    {
        await using var server = await RunningServer.StartAsync();
        using var folder = new TempFolder();
        var notPhoto = folder.Write("notes.jpg", "just some text, not a photo");
        await using var browser = await LaunchAsync();
        var page = await browser.NewPageAsync();
        await page.GotoAsync(server.BaseAddress.ToString());

        await page.SetInputFilesAsync("#file", notPhoto);

        var error = page.Locator("#status.error");
        await error.WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
        Assert.Contains("not a supported image", await error.TextContentAsync(), StringComparison.Ordinal);
    }

    [RequiresToolsFact("chromium")]
    public async Task On_a_server_with_a_token_the_page_asks_once_and_the_server_keeps_it_in_a_cookie_script_cannot_read()
    {
        await using var server = await RunningServer.StartAsync(s => s with { Web = s.Web with { AccessToken = "page-token" } });
        using var folder = new TempFolder();
        var photo = folder.Write("harbour.jpg", TestPhotos.Scene(160, 120));
        await using var browser = await LaunchAsync();
        var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        var prompts = 0;
        page.Dialog += async (_, dialog) =>
        {
            prompts++;
            await dialog.AcceptAsync("page-token");
        };

        await page.GotoAsync(server.BaseAddress.ToString());
        await page.SetInputFilesAsync("#file", photo);
        await page.Locator("#result").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Visible, Timeout = 60_000 });

        Assert.Equal(1, prompts);
        Assert.Equal(string.Empty, await page.EvaluateAsync<string>("document.cookie"));
        var cookie = Assert.Single(await context.CookiesAsync(), c => c.Name == "tlp_token");
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        Assert.True(cookie.Expires > DateTimeOffset.UtcNow.AddDays(1).ToUnixTimeSeconds());
    }

    [RequiresToolsFact("chromium")]
    public async Task The_page_speaks_chinese_to_a_chinese_browser()
    {
        await using var server = await RunningServer.StartAsync();
        await using var browser = await LaunchAsync();
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { Locale = "zh-CN" });

        await page.GotoAsync(server.BaseAddress.ToString());

        Assert.Equal("点击、拖拽或粘贴一张照片", await page.Locator("#status").TextContentAsync());
        Assert.Equal("zh-Hans", await page.GetAttributeAsync("html", "lang"));
    }

    private static async Task<IBrowser> LaunchAsync()
    {
        var playwright = await Playwright.CreateAsync();
        return await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }
}
