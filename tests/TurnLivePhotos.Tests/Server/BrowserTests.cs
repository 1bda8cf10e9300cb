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

    /// <summary>
    /// The whole flow at phone width: two photos dropped at once queue and run one after the other; the result plays at
    /// once, looping; before/after and press-and-hold LIVE work; a changed setting runs the same photo again; every
    /// download arrives; Recent names each photo. Screenshots at phone and desktop width are saved (see SaveScreenshotAsync).
    /// </summary>
    [RequiresToolsFact("chromium", "ffmpeg")]
    public async Task A_person_drops_two_photos_generates_plays_compares_runs_again_with_more_motion_and_downloads_every_format()
    {
        await using var server = await RunningServer.StartAsync(s => s with { Model = s.Model with { Parameters = s.Model.Parameters with { Frames = 12 } } });
        using var folder = new TempFolder();
        await using var browser = await LaunchAsync();
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 390, Height = 844 }, AcceptDownloads = true });
        var elsewhere = new List<string>();
        page.Request += (_, request) =>
        {
            if (!request.Url.StartsWith(server.BaseAddress.ToString(), StringComparison.Ordinal) && !request.Url.StartsWith("blob:", StringComparison.Ordinal) && !request.Url.StartsWith("data:", StringComparison.Ordinal))
            {
                elsewhere.Add(request.Url);
            }
        };
        await page.GotoAsync(server.BaseAddress.ToString());
        await page.WaitForFunctionAsync("() => document.getElementById('frames').value === '12'"); // the server's default reached the page
        Assert.Contains("up to 10 MB", await page.Locator("#limit").TextContentAsync(), StringComparison.Ordinal); // 10485760 bytes, said in MB
        Assert.False(await page.Locator("#noise_aug_strength").IsVisibleAsync()); // hidden in the fold, and SVD-only besides
        await page.ClickAsync("#advanced summary");
        await page.CheckAsync("input[name=formats][value=webp]");
        Assert.False(await page.Locator("#noise_aug_strength").IsVisibleAsync()); // the classic engine runs: no SVD controls
        Assert.False(await page.Locator("#sampler").IsVisibleAsync());
        Assert.True(await page.Locator("#seed").IsVisibleAsync());
        await page.ClickAsync("#advanced summary");
        await page.EvaluateAsync("() => { window.stageLog = []; new MutationObserver(() => window.stageLog.push(document.getElementById('stage').textContent)).observe(document.getElementById('stage'), { childList: true, characterData: true, subtree: true }); }");

        await DropAsync(page, ("harbour.jpg", TestPhotos.Scene(480, 320)), ("lakeside.jpg", TestPhotos.Scene(480, 320, seed: 5)));
        Assert.Equal("Generate 2 photos", await page.Locator("#generate").TextContentAsync());
        await page.ClickAsync("#generate");
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('#tray button[data-state]')].every(b => b.dataset.state === 'succeeded')", null, new PageWaitForFunctionOptions { Timeout = 120_000 });

        var progress = await page.EvaluateAsync<double[]>("window.progressLog");
        Assert.True(progress.Distinct().Count() >= 3, $"the progress bar should move: {string.Join(", ", progress)}");
        Assert.Equal(100, progress[^1]);
        var stages = await page.EvaluateAsync<string[]>("window.stageLog");
        // The job stores the latest step when the previous write is done, so a fast classic run may pass its engine
        // stage between two page updates: every counted stage the page did show must read as words.
        Assert.All(
            stages.Where(s => System.Text.RegularExpressions.Regex.IsMatch(s, @"\d+ of \d+")),
            s => Assert.Matches(@"^(Animating \d+ of 12|Writing files: \d+ of 5 ready)$", s));
        Assert.Contains(stages, s => s.StartsWith("Writing files: ", StringComparison.Ordinal) && s.EndsWith(" of 5 ready", StringComparison.Ordinal));
        Assert.DoesNotContain(stages, s => s.Contains("animate", StringComparison.Ordinal) || s.Contains('/', StringComparison.Ordinal));
        Assert.Equal("harbour", await page.Locator("#resultTitle").TextContentAsync()); // the job's photo_name
        await page.WaitForFunctionAsync("() => { const v = document.getElementById('motion'); return !v.hidden && !v.paused && v.loop && v.currentTime > 0; }");
        Assert.False(await page.Locator("#still").IsVisibleAsync());

        await page.ClickAsync("#compare"); // before: the photo itself
        Assert.True(await page.Locator("#still").IsVisibleAsync());
        Assert.False(await page.Locator("#motion").IsVisibleAsync());
        await page.HoverAsync("#live");
        await page.Mouse.DownAsync(); // LIVE held: the movie plays once from the start
        await page.WaitForFunctionAsync("() => { const v = document.getElementById('motion'); return !v.hidden && !v.paused && !v.loop; }");
        Assert.Contains("playing", await page.GetAttributeAsync("#live", "class") ?? string.Empty, StringComparison.Ordinal);
        await page.Mouse.UpAsync(); // let go: the still again
        Assert.True(await page.Locator("#still").IsVisibleAsync());
        Assert.False(await page.Locator("#motion").IsVisibleAsync());
        await page.ClickAsync("#compare"); // after: looping again
        await page.WaitForFunctionAsync("() => { const v = document.getElementById('motion'); return !v.hidden && !v.paused && v.loop; }");

        await page.EvaluateAsync("() => { const slider = document.getElementById('motion_bucket_id'); slider.value = '200'; slider.dispatchEvent(new Event('input')); }");
        Assert.Equal("Generate again", await page.Locator("#generate").TextContentAsync());
        await page.ClickAsync("#generate");
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#history li').length === 3", null, new PageWaitForFunctionOptions { Timeout = 60_000 });
        await page.Locator("#result").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Visible, Timeout = 60_000 });
        var jobs = new TurnLivePhotos.Server.Jobs.SqliteJobStore(server.OutputsHome).List(1, 10).Jobs;
        Assert.Equal([127, 127, 200], jobs.OrderBy(j => j.CreatedAt).Select(j => j.Request.Parameters.MotionBucketId));

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

        var recent = page.Locator("#history li");
        Assert.Equal(["harbour", "lakeside", "harbour"], (await page.Locator("#history li .name").AllTextContentsAsync()).Reverse());
        Assert.Equal(3, await page.Locator("#history li img").CountAsync());
        Assert.True(await page.EvaluateAsync<bool>("() => [...document.querySelectorAll('#history img')].every(i => i.complete && i.naturalWidth > 0)"));
        Assert.Equal(390, await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth")); // nothing sticks out at phone width
        await SaveScreenshotAsync(page, "page-phone.png");
        await page.SetViewportSizeAsync(1280, 900);
        await SaveScreenshotAsync(page, "page-desktop.png");
        Assert.Empty(elsewhere); // nothing is loaded from another site
    }

    /// <summary>
    /// A server with no AI model: the engines that cannot run are offered disabled with the reason and the command; the
    /// token holder's <b>Get the model</b> fetches the depth model from the (loopback) hub with progress, and the page
    /// then runs the cinematic engine, showing its camera control and still hiding the SVD-only ones.
    /// </summary>
    [RequiresToolsTheory("chromium")]
    [MemberData(nameof(DepthSets))]
    public async Task Engines_not_installed_are_shown_disabled_with_the_reason_and_Get_the_model_installs_the_depth_model(string set)
    {
        using var folder = new TempFolder();
        Directory.CreateDirectory(folder["repo"]);
        foreach (var name in new[] { "config.json", "model.safetensors", "preprocessor_config.json" })
        {
            File.Copy(Path.Combine(FixtureSets.Folder(set), name), Path.Combine(folder["repo"], name));
        }

        await using var hub = await TurnLivePhotos.Bench.LoopbackHub.StartAsync("depth-anything/Depth-Anything-V2-Small-hf", folder["repo"],
            new TurnLivePhotos.Bench.LoopbackHubFaults { BytesPerSecond = 200_000 }); // slow enough to see the progress
        await using var server = await RunningServer.StartAsync(s => s with { ModelRepositoryUrl = $"{hub.Endpoint}stabilityai/stable-video-diffusion-img2vid-xt" }, builtInEngines: true);
        await using var browser = await LaunchAsync();
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 390, Height = 844 } });
        await page.GotoAsync(server.BaseAddress.ToString());
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#engines li').length === 3");

        Assert.StartsWith("Classic motion (not AI)", await page.Locator("#engine").TextContentAsync(), StringComparison.Ordinal);
        await page.ClickAsync("#getAi");
        Assert.True(await page.Locator("#engines").IsVisibleAsync());
        Assert.True(await OptionDisabledAsync(page, "svd"));
        Assert.True(await OptionDisabledAsync(page, "cinematic"));
        Assert.False(await OptionDisabledAsync(page, "classic"));
        var svd = page.Locator("#engines li[data-engine=svd]");
        Assert.Contains("no SVD model at", await svd.Locator(".reason").TextContentAsync(), StringComparison.Ordinal);
        Assert.Equal("turn-live-photos model download", await svd.Locator("code").TextContentAsync());
        var cinematic = page.Locator("#engines li[data-engine=cinematic]");
        Assert.Contains("no depth model folder", await cinematic.Locator(".reason").TextContentAsync(), StringComparison.Ordinal);
        Assert.Equal("turn-live-photos model download depth", await cinematic.Locator("code").TextContentAsync());
        Assert.False(await page.Locator("#camera").IsVisibleAsync());
        await SaveScreenshotAsync(page, "page-engines.png");

        await page.EvaluateAsync("() => { window.downloadLog = []; new MutationObserver(() => window.downloadLog.push(document.querySelector('#engines li[data-engine=cinematic] .download small')?.textContent ?? '')).observe(document.getElementById('engines'), { childList: true, characterData: true, subtree: true }); }");
        await cinematic.Locator("button.get-model").ClickAsync();
        await page.WaitForFunctionAsync("() => document.querySelector('#engineChoice option[value=cinematic]').disabled === false", null, new PageWaitForFunctionOptions { Timeout = 60_000 });

        var log = await page.EvaluateAsync<string[]>("window.downloadLog");
        Assert.Contains(log, line => line.StartsWith("Downloading: ", StringComparison.Ordinal) && line.EndsWith(" MB", StringComparison.Ordinal) && line.Contains(" of ", StringComparison.Ordinal));
        await page.WaitForFunctionAsync("() => document.getElementById('engine').textContent.startsWith('Cinematic')");
        Assert.True(await OptionDisabledAsync(page, "svd"));
        Assert.True(await page.Locator("#camera").IsVisibleAsync()); // the cinematic engine's own control
        Assert.False(await page.Locator("#noise_aug_strength").IsVisibleAsync());
        Assert.True(File.Exists(Path.Combine(server.Settings.Store.ModelsHome, "depth-anything", "Depth-Anything-V2-Small-hf", "model.safetensors")));
    }

    /// <summary>Each platform is offered what works there, said plainly: Android the Motion Photo, a Mac the .pvt, an iPhone the share sheet or, without it, AirDrop from a Mac.</summary>
    [RequiresToolsFact("chromium", "ffmpeg")]
    public async Task Each_platform_is_offered_what_works_there()
    {
        await using var server = await RunningServer.StartAsync();
        await using var browser = await LaunchAsync();
        var photo = TestPhotos.Scene(240, 160);
        const string Android = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36";
        const string Mac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15";
        const string Iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

        var android = await GenerateOnAsync(browser, server, Android, photo);
        Assert.Contains("Google Photos", await android.Locator("#platform-text").TextContentAsync(), StringComparison.Ordinal);
        Assert.EndsWith("/files/motion", await android.GetAttributeAsync("#saveMotion", "href"), StringComparison.Ordinal);

        var mac = await GenerateOnAsync(browser, server, Mac, photo);
        Assert.Contains("double-clicking", await mac.Locator("#platform-text").TextContentAsync(), StringComparison.Ordinal);
        var pvt = await mac.RunAndWaitForDownloadAsync(() => mac.ClickAsync("#savePvt"));
        Assert.EndsWith(".pvt.zip", pvt.SuggestedFilename, StringComparison.Ordinal);

        // Chromium on Linux has no share sheet: the page says so and names the way that works.
        var plainIphone = await GenerateOnAsync(browser, server, Iphone, photo);
        Assert.Contains("AirDrop the .pvt", await plainIphone.Locator("#platform-text").TextContentAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await plainIphone.Locator("#share").CountAsync());

        // Where the browser has one, the still and the movie go to it together (the sheet itself is the phone's; here it records what it was given).
        var iphone = await GenerateOnAsync(browser, server, Iphone, photo, """
            navigator.canShare = data => Array.isArray(data?.files);
            navigator.share = async data => { window.shared = data.files.map(f => `${f.name} ${f.type} ${f.size > 100}`); };
            """);
        await iphone.ClickAsync("#share");
        await iphone.WaitForFunctionAsync("() => window.shared");
        var shared = await iphone.EvaluateAsync<string[]>("window.shared");
        Assert.Equal(2, shared.Length);
        Assert.Matches(@"^\S+\.JPG image/jpeg true$", shared[0]);
        Assert.Matches(@"^\S+\.MOV video/quicktime true$", shared[1]);
        Assert.Equal(shared[0].Split('.')[0], shared[1].Split('.')[0]);
    }

    [RequiresToolsFact("chromium")]
    public async Task A_failed_job_shows_its_reason_on_the_photo_and_in_Recent_with_the_photo_name()
    {
        await using var server = await RunningServer.StartAsync(classic: new FailingEngine(new InvalidOperationException("secret detail")));
        await using var browser = await LaunchAsync();
        var page = await browser.NewPageAsync();
        await page.GotoAsync(server.BaseAddress.ToString());
        await DropAsync(page, ("garden.jpg", TestPhotos.Scene(160, 120)));
        await page.ClickAsync("#generate");

        var error = page.Locator("#status.error");
        await error.WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
        await page.WaitForFunctionAsync("() => document.querySelector('#history li[data-state=failed] .reason')");
        var reason = await page.Locator("#history li .reason").TextContentAsync();
        Assert.False(string.IsNullOrWhiteSpace(reason));
        Assert.Contains(reason!, await error.TextContentAsync(), StringComparison.Ordinal);
        Assert.Equal("garden", await page.Locator("#history li .name").TextContentAsync()); // the job's photo_name
        Assert.Equal("Generate again", await page.Locator("#generate").TextContentAsync()); // the photo stays for another try
    }

    public static TheoryData<string> Sets => FixtureSets.All;

    public static TheoryData<string> DepthSets => FixtureSets.DepthSets;

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
        await page.ClickAsync("#advanced summary");
        foreach (var format in new[] { "live", "motion", "mp4" })
        {
            await page.UncheckAsync($"input[name=formats][value={format}]");
        }

        await page.SetInputFilesAsync("#file", photo);
        await page.ClickAsync("#generate");
        await page.Locator("#result").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Visible, Timeout = 120_000 });

        // No RIFE model on this server: the result says why the clip plays as made, and the command that fetches it.
        Assert.True(await page.Locator("#resultNote").IsVisibleAsync());
        Assert.Contains("`turn-live-photos model download rife`", await page.Locator("#resultNote").TextContentAsync(), StringComparison.Ordinal);
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
        await page.ClickAsync("#generate");

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
        await page.ClickAsync("#generate");
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

    /// <summary>Whether the engine choice offers <paramref name="engine"/> disabled (Playwright's IsDisabled looks only at form controls, not options).</summary>
    private static Task<bool> OptionDisabledAsync(IPage page, string engine) =>
        page.EvaluateAsync<bool>("engine => document.querySelector(`#engineChoice option[value=${engine}]`).disabled", engine);

    /// <summary>Drops files on the photo area as a person's drag and drop does: one drop event carrying them all.</summary>
    private static Task DropAsync(IPage page, params (string Name, byte[] Bytes)[] files) =>
        page.EvaluateAsync("""
            files => {
              const transfer = new DataTransfer();
              for (const [name, base64] of files) transfer.items.add(new File([Uint8Array.from(atob(base64), c => c.charCodeAt(0))], name, { type: 'image/jpeg' }));
              document.getElementById('drop').dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
            }
            """, files.Select(f => new[] { f.Name, Convert.ToBase64String(f.Bytes) }).ToArray());

    /// <summary>A page as a phone or a Mac shows it (its user agent), with one small Live + Motion Photo made.</summary>
    private static async Task<IPage> GenerateOnAsync(IBrowser browser, RunningServer server, string userAgent, byte[] photo, string? initScript = null)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { UserAgent = userAgent, AcceptDownloads = true, ViewportSize = new ViewportSize { Width = 390, Height = 844 } });
        if (initScript is not null)
        {
            await context.AddInitScriptAsync(initScript);
        }

        var page = await context.NewPageAsync();
        await page.GotoAsync(server.BaseAddress.ToString());
        await page.WaitForFunctionAsync("() => document.getElementById('limit').textContent !== ''");
        await page.ClickAsync("#advanced summary");
        foreach (var format in new[] { "mp4", "gif" })
        {
            await page.UncheckAsync($"input[name=formats][value={format}]");
        }

        await DropAsync(page, ("p.jpg", photo));
        await page.ClickAsync("#generate");
        await page.Locator("#result").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Visible, Timeout = 60_000 });
        return page;
    }

    /// <summary>
    /// Screenshots the README and docs show, taken from the real page in the flow above. They go into the folder that
    /// <c>TLP_SCREENSHOTS</c> names (<c>TLP_SCREENSHOTS=docs/images</c> retakes the docs' pictures), else into a
    /// temporary folder, so a test run never edits the repository's files.
    /// </summary>
    private static async Task SaveScreenshotAsync(IPage page, string name)
    {
        var folder = Environment.GetEnvironmentVariable("TLP_SCREENSHOTS") is { Length: > 0 } chosen
            ? Path.GetFullPath(chosen, SettingsTests.RepositoryRoot())
            : Path.Combine(Path.GetTempPath(), "turn-live-photos-screenshots");
        var path = Path.Combine(folder, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        Assert.True(new FileInfo(path).Length > 1000);
    }

    internal static async Task<IBrowser> LaunchAsync()
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
