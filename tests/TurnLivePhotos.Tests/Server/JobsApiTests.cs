using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Media.Formats;
using TurnLivePhotos.Server.Jobs;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Server;

/// <summary>The jobs API over real HTTP: life cycle, events, cancel, downloads, restarts.</summary>
public sealed class JobsApiTests
{
    private static readonly byte[] Photo = TestPhotos.Scene(160, 120);

    [Fact]
    public async Task A_job_runs_to_success_and_every_format_downloads_with_its_type_and_name()
    {
        await using var server = await RunningServer.StartAsync();
        var formats = ExternalTools.Ffmpeg is null ? "gif,webp" : "live,motion,mp4,gif,webp";

        using var created = await server.Client.PostAsync("api/v1/jobs", RunningServer.Form(Photo, "p.jpg", ("formats", formats), ("frames", "4")));
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var job = await created.Content.ReadFromJsonAsync<JsonElement>();
        var id = job.GetProperty("id").GetString()!;
        Assert.Matches("^[0-9a-f]{32}$", id);

        var done = await WaitForStateAsync(server, id, "succeeded");
        foreach (var format in formats.Split(','))
        {
            var url = done.GetProperty("files").GetProperty(format).GetString()!;
            using var download = await server.Client.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, download.StatusCode);
            Assert.False(string.IsNullOrEmpty(download.Content.Headers.ContentDisposition?.FileName));
            var expectedType = format switch { "live" => "application/zip", "motion" => "image/jpeg", "mp4" => "video/mp4", "gif" => "image/gif", _ => "image/webp" };
            Assert.Equal(expectedType, download.Content.Headers.ContentType?.MediaType);
            var bytes = await download.Content.ReadAsByteArrayAsync();
            if (format == "live")
            {
                using var zip = new ZipArchive(new MemoryStream(bytes));
                Assert.Equal([".JPG", ".MOV"], zip.Entries.Select(e => Path.GetExtension(e.Name)).Order());
            }
            else if (format == "gif")
            {
                Assert.Equal(4, GifInfo.Read(bytes).Frames);
            }
            else if (format == "motion")
            {
                Assert.Contains("MotionPhoto", System.Text.Encoding.Latin1.GetString(bytes), StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task A_job_keeps_the_photo_s_name_and_its_files_download_under_the_names_convert_gives()
    {
        await using var server = await RunningServer.StartAsync();
        var formats = ExternalTools.Ffmpeg is null ? "gif,webp" : "live,motion,mp4,gif,webp";

        using var created = await server.Client.PostAsync("api/v1/jobs", RunningServer.Form(TestPhotos.CameraJpeg(null), @"C:\fakepath\lakeside.jpg", ("formats", formats), ("frames", "3")));
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var done = await WaitForStateAsync(server, id, "succeeded");

        Assert.Equal("lakeside", done.GetProperty("photo_name").GetString());
        var expected = new Dictionary<string, string>
        {
            ["live"] = "LAKESIDE.zip", ["motion"] = "IMG_20240501_123456_lakeside_MP.jpg", ["mp4"] = "lakeside.mp4", ["gif"] = "lakeside.gif", ["webp"] = "lakeside.webp",
        };
        foreach (var format in formats.Split(','))
        {
            using var download = await server.Client.GetAsync(done.GetProperty("files").GetProperty(format).GetString());
            var disposition = download.Content.Headers.ContentDisposition;
            Assert.Equal("attachment", disposition?.DispositionType);
            Assert.Equal(expected[format], disposition?.FileNameStar ?? disposition?.FileName?.Trim('"'));
        }
    }

    [Fact]
    public async Task Jobs_move_from_queued_to_running_to_succeeded_with_queue_positions_and_progress()
    {
        var engine = new GatedEngine();
        await using var server = await RunningServer.StartAsync(classic: engine);

        var first = await SubmitAsync(server);
        await engine.WaitUntilStartedAsync(1);
        var second = await SubmitAsync(server);

        var running = await GetAsync(server, first);
        var queued = await GetAsync(server, second);
        Assert.Equal("running", running.GetProperty("state").GetString());
        Assert.Equal("queued", queued.GetProperty("state").GetString());
        Assert.Equal(1, queued.GetProperty("queue_position").GetInt32());
        engine.Open();
        Assert.Equal(100, (await WaitForStateAsync(server, first, "succeeded")).GetProperty("percent").GetDouble());
        await WaitForStateAsync(server, second, "succeeded");

        using var list = JsonDocument.Parse(await server.Client.GetStringAsync("api/v1/jobs?page=1&pageSize=10"));
        Assert.Equal([second, first], list.RootElement.GetProperty("items").EnumerateArray().Select(j => j.GetProperty("id").GetString()));
        Assert.Equal(2, list.RootElement.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Server_sent_events_arrive_in_order_and_end_with_the_final_state()
    {
        var engine = new GatedEngine();
        await using var server = await RunningServer.StartAsync(classic: engine);
        var id = await SubmitAsync(server);
        await engine.WaitUntilStartedAsync(1);

        using var stream = await server.Client.GetStreamAsync($"api/v1/jobs/{id}/events");
        using var reader = new StreamReader(stream);
        engine.Open();
        var states = new List<string>();
        var percents = new List<double>();
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                using var view = JsonDocument.Parse(line[6..]);
                states.Add(view.RootElement.GetProperty("state").GetString()!);
                if (view.RootElement.TryGetProperty("percent", out var percent))
                {
                    percents.Add(percent.GetDouble());
                }
            }
        }

        Assert.Equal("running", states[0]);
        Assert.Equal("succeeded", states[^1]);
        Assert.All(states[..^1], state => Assert.Equal("running", state));
        Assert.True(states.Count > 3, "progress events should stream while the job runs");
        Assert.Equal(percents.Order(), percents);
    }

    [Fact]
    public async Task An_engine_failure_ends_the_job_as_failed_with_a_generic_message()
    {
        await using var server = await RunningServer.StartAsync(classic: new FailingEngine(new InvalidOperationException("secret detail")));

        var id = await SubmitAsync(server);

        var failed = await WaitForStateAsync(server, id, "failed");
        Assert.DoesNotContain("secret", failed.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Empty(failed.GetProperty("files").EnumerateObject());
    }

    [Fact]
    public void A_jobs_message_is_shown_without_paths_on_the_server()
    {
        var record = new JobRecord("j1", DateTimeOffset.UtcNow, JobState.Failed, new JobRequest(new MotionParameters(), EngineKind.Classic, [OutputFormat.Gif], null),
            "the HEIC data could not be decoded (/tmp/magick-Zq81xk/input.heic: corrupt image)", new Dictionary<OutputFormat, string>(), 1, DateTimeOffset.UtcNow);

        var view = JobViews.Of(record, queuePosition: null);

        Assert.Equal("the HEIC data could not be decoded (<path>: corrupt image)", view.Message);
    }

    [Fact]
    public async Task Queued_and_running_jobs_can_be_canceled()
    {
        var engine = new GatedEngine();
        await using var server = await RunningServer.StartAsync(classic: engine);
        var running = await SubmitAsync(server);
        await engine.WaitUntilStartedAsync(1);
        var queued = await SubmitAsync(server);

        using var cancelQueued = await server.Client.DeleteAsync($"api/v1/jobs/{queued}");
        using var cancelRunning = await server.Client.DeleteAsync($"api/v1/jobs/{running}");

        Assert.Equal(HttpStatusCode.Accepted, cancelQueued.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, cancelRunning.StatusCode);
        await WaitForStateAsync(server, queued, "canceled");
        await WaitForStateAsync(server, running, "canceled");
        Assert.Equal(1, engine.Started);
        using var again = await server.Client.DeleteAsync($"api/v1/jobs/{running}");
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task Jobs_survive_a_restart_and_an_interrupted_job_is_retried_once()
    {
        using var outputs = new TempFolder();
        var store = new SqliteJobStore(outputs.Path);
        var request = new JobRequest(new MotionParameters { Frames = 3, Seed = 1 }, EngineKind.Classic, [OutputFormat.Gif], null);
        foreach (var (id, state, attempts) in new[] { ("a1", JobState.Queued, 0), ("b2", JobState.Running, 0), ("c3", JobState.Running, 1) })
        {
            Directory.CreateDirectory(Path.Combine(outputs.Path, "jobs", id));
            await File.WriteAllBytesAsync(Path.Combine(outputs.Path, "jobs", id, "input.photo"), Photo);
            store.Add(new JobRecord(id, DateTimeOffset.UtcNow, state, request, null, new Dictionary<OutputFormat, string>(), attempts, null));
        }

        await using var server = await RunningServer.StartAsync(s => s with { Store = s.Store with { OutputsHome = outputs.Path } });

        await WaitForStateAsync(server, "a1", "succeeded");
        await WaitForStateAsync(server, "b2", "succeeded");
        var failed = await WaitForStateAsync(server, "c3", "failed");
        Assert.Contains("interrupted", failed.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Finished_jobs_older_than_the_retention_are_deleted_with_their_files()
    {
        using var outputs = new TempFolder();
        var store = new SqliteJobStore(outputs.Path);
        var request = new JobRequest(new MotionParameters { Frames = 3, Seed = 1 }, EngineKind.Classic, [OutputFormat.Gif], null);
        foreach (var (id, age) in new[] { ("old", 40), ("recent", 2) })
        {
            Directory.CreateDirectory(Path.Combine(outputs.Path, "jobs", id));
            await File.WriteAllBytesAsync(Path.Combine(outputs.Path, "jobs", id, "a.gif"), [1]);
            var finished = DateTimeOffset.UtcNow.AddDays(-age);
            store.Add(new JobRecord(id, finished, JobState.Succeeded, request, null, new Dictionary<OutputFormat, string> { [OutputFormat.Gif] = "a.gif" }, 0, finished));
        }

        await using var server = await RunningServer.StartAsync(s => s with { Store = s.Store with { OutputsHome = outputs.Path, KeepJobsDays = 30 } });

        using var old = await server.Client.GetAsync("api/v1/jobs/old");
        using var recent = await server.Client.GetAsync("api/v1/jobs/recent");
        Assert.Equal(HttpStatusCode.NotFound, old.StatusCode);
        Assert.Equal(HttpStatusCode.OK, recent.StatusCode);
        Assert.False(Directory.Exists(Path.Combine(outputs.Path, "jobs", "old")));
    }

    [Fact]
    public async Task The_openapi_document_describes_the_jobs_api()
    {
        await using var server = await RunningServer.StartAsync();

        using var document = JsonDocument.Parse(await server.Client.GetStringAsync("openapi/v1.json"));

        var paths = document.RootElement.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/v1/jobs", out _));
        Assert.True(paths.TryGetProperty("/api/v1/jobs/{id}", out _));
        Assert.True(paths.TryGetProperty("/generate", out _));
    }

    [Fact]
    public async Task The_openapi_document_lists_every_answer_including_the_errors()
    {
        await using var server = await RunningServer.StartAsync();

        using var document = JsonDocument.Parse(await server.Client.GetStringAsync("openapi/v1.json"));

        var paths = document.RootElement.GetProperty("paths");
        var expected = new (string Path, string Method, string[] Statuses)[]
        {
            ("/api/v1/jobs", "post", ["202", "400", "401", "408", "413", "415", "429", "503", "507"]),
            ("/api/v1/jobs", "get", ["200", "401"]),
            ("/api/v1/jobs/{id}", "get", ["200", "401", "404"]),
            ("/api/v1/jobs/{id}", "delete", ["202", "401", "404", "409"]),
            ("/api/v1/jobs/{id}/events", "get", ["200", "401", "404"]),
            ("/api/v1/jobs/{id}/files/{format}", "get", ["200", "401", "404"]),
            ("/api/v1/engine", "get", ["200", "503"]),
            ("/generate", "post", ["200", "400", "401", "408", "413", "415", "429", "500", "503", "507"]),
        };
        foreach (var (path, method, statuses) in expected)
        {
            var responses = paths.GetProperty(path).GetProperty(method).GetProperty("responses");
            var listed = responses.EnumerateObject().Select(response => response.Name).ToList();
            Assert.All(statuses, status => Assert.True(listed.Contains(status), $"{method} {path} lists {string.Join(", ", listed)}, not {status}"));
        }

        var problem = paths.GetProperty("/api/v1/jobs/{id}").GetProperty("get").GetProperty("responses").GetProperty("404").GetProperty("content");
        Assert.True(problem.TryGetProperty("application/problem+json", out _), problem.ToString());
    }

    [Fact]
    public async Task Bad_requests_are_problem_details()
    {
        await using var server = await RunningServer.StartAsync();

        using var badParameter = await server.Client.PostAsync("api/v1/jobs", RunningServer.Form(Photo, "p.jpg", ("frames", "9999")));
        using var notImage = await server.Client.PostAsync("api/v1/jobs", RunningServer.Form("text"u8.ToArray()));
        using var unknown = await server.Client.GetAsync("api/v1/jobs/0123456789abcdef0123456789abcdef");

        Assert.Equal(HttpStatusCode.BadRequest, badParameter.StatusCode);
        Assert.Equal("application/problem+json", badParameter.Content.Headers.ContentType?.MediaType);
        Assert.Contains("frames", await badParameter.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, notImage.StatusCode);
        Assert.Equal("application/problem+json", notImage.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task A_full_queue_answers_503_with_retry_after()
    {
        var engine = new GatedEngine();
        await using var server = await RunningServer.StartAsync(s => s with { Web = s.Web with { MaxQueuedJobs = 1 } }, engine);
        await SubmitAsync(server);
        await engine.WaitUntilStartedAsync(1);
        await SubmitAsync(server);

        using var refused = await server.Client.PostAsync("api/v1/jobs", RunningServer.Form(Photo, "p.jpg", ("formats", "gif")));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        engine.Open();
    }

    private static async Task<string> SubmitAsync(RunningServer server)
    {
        using var response = await server.Client.PostAsync("api/v1/jobs", RunningServer.Form(Photo, "p.jpg", ("formats", "gif"), ("frames", "3")));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    private static async Task<JsonElement> GetAsync(RunningServer server, string id) =>
        await server.Client.GetFromJsonAsync<JsonElement>($"api/v1/jobs/{id}");

    private static async Task<JsonElement> WaitForStateAsync(RunningServer server, string id, string state)
    {
        for (var waited = 0; ; waited += 50)
        {
            var job = await GetAsync(server, id);
            if (job.GetProperty("state").GetString() == state)
            {
                return job;
            }

            Assert.True(waited < 60_000, $"job {id} is {job.GetProperty("state").GetString()}, not {state}: {job}");
            await Task.Delay(50);
        }
    }
}
