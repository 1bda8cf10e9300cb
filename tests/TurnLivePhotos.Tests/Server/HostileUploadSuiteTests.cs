using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TurnLivePhotos.Tests.Support;
using Xunit.Abstractions;

namespace TurnLivePhotos.Tests.Server;

/// <summary>
/// The hostile-input suite: files made by <see cref="HostileFiles"/>, each sent to both upload routes of the real
/// program started as <c>serve</c> in its own process. Every answer is a documented 4xx, or a job that ends
/// (succeeded, or failed with a message) within a bounded time; the process is alive after each file and its peak
/// resident memory stays within the promised bound. The tally per class goes to the test output.
/// </summary>
public sealed class HostileUploadSuiteTests(ITestOutputHelper log)
{
    /// <summary>The server's promise (docs/security.md): whatever one upload holds, it stays under this.</summary>
    private const long MaxResidentBytes = 1_500_000_000;

    private static readonly TimeSpan JobLimit = TimeSpan.FromSeconds(90);
    private static readonly HashSet<HttpStatusCode> RefusedUpload = [HttpStatusCode.BadRequest, HttpStatusCode.RequestEntityTooLarge, HttpStatusCode.UnsupportedMediaType];

    [Fact]
    public async Task Pixel_bombs_in_every_format_are_refused_from_the_header_on_both_routes()
    {
        using var server = await HostileServer.StartAsync();

        var tally = await SendAllAsync(server, HostileFiles.PixelBombs(), "gif");

        // Refused before any pixel: 413 where the header is consistent, 415 where it cannot even be read (a WebP canvas
        // its frame contradicts); each format's size check is met at least once.
        Assert.All(tally.Answers, answer => Assert.True(answer.Generate is "413" or "415" && answer.Job == answer.Generate, $"{answer.File}: /generate {answer.Generate}, /api/v1/jobs {answer.Job}"));
        Assert.All(tally.Answers.GroupBy(answer => answer.Class), format => Assert.Contains(format, answer => answer.Generate == "413"));
        AssertBounded(server);
    }

    [RequiresToolsFact("ffmpeg")]
    public async Task Metadata_that_nests_loops_or_points_past_its_end_never_crashes_or_hangs_the_server()
    {
        using var server = await HostileServer.StartAsync();

        var tally = await SendAllAsync(server, HostileFiles.Metadata(), "live,motion,gif");

        // The image data of each is a good photo: what the metadata holds may be dropped, the photo still converts.
        Assert.All(tally.Answers, answer => Assert.True(answer.Generate == "200" && answer.Job == "succeeded", $"{answer.File}: /generate {answer.Generate}, /api/v1/jobs {answer.Job}"));
        AssertBounded(server);
    }

    [RequiresToolsFact("ffmpeg", "heif-enc")]
    public async Task Three_hundred_mutated_jpeg_png_and_heic_files_get_a_documented_answer_each()
    {
        using var server = await HostileServer.StartAsync();
        var files = HostileFiles.Mutations("jpeg", TestPhotos.CameraJpeg("mutated"), 100, seed: 24)
            .Concat(HostileFiles.Mutations("png", TestPhotos.Scene(64, 48, ImageMagick.MagickFormat.Png), 100, seed: 25))
            .Concat(HostileFiles.Mutations("heic", PixelBombs.SmallHeic(), 100, seed: 26));

        var tally = await SendAllAsync(server, files, "live,motion,gif");

        Assert.Equal(300, tally.Answers.Count);

        // Each kind must reach more than one outcome, or the mutations would not be testing the decoders' error paths.
        Assert.All(tally.Answers.GroupBy(answer => answer.Class), kind => Assert.True(kind.Select(a => a.Job).Distinct().Count() > 1, $"{kind.Key}: {string.Join(", ", kind.Select(a => a.Job).Distinct())}"));
        AssertBounded(server);
    }

    private async Task<Tally> SendAllAsync(HostileServer server, IEnumerable<HostileFile> files, string formats)
    {
        var tally = new Tally();
        foreach (var file in files)
        {
            using (var generated = await server.Client.PostAsync("generate", RunningServer.Form(file.Bytes, "upload.jpg", ("frames", "2"))))
            {
                Assert.True(generated.StatusCode == HttpStatusCode.OK || RefusedUpload.Contains(generated.StatusCode), $"{file.Name}: /generate answered {(int)generated.StatusCode} {await generated.Content.ReadAsStringAsync()}");
                if (generated.StatusCode != HttpStatusCode.OK)
                {
                    AssertMessage(file, JsonDocument.Parse(await generated.Content.ReadAsStringAsync()).RootElement, "message");
                }

                var job = await SubmitAndWaitAsync(server, file, formats);
                Assert.False(server.Process.HasExited, $"{file.Name}: the server died: {string.Join(" | ", server.Process.Errors.TakeLast(5))}");
                tally.Add(file, ((int)generated.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture), job);
            }
        }

        foreach (var line in tally.Summary())
        {
            log.WriteLine(line);
        }

        return tally;
    }

    /// <summary>Submits to the jobs API and follows the job to its end: the refusal's status, or the final state.</summary>
    private static async Task<string> SubmitAndWaitAsync(HostileServer server, HostileFile file, string formats)
    {
        using var submitted = await server.Client.PostAsync("api/v1/jobs", RunningServer.Form(file.Bytes, "upload.jpg", ("frames", "2"), ("formats", formats)));
        var body = JsonDocument.Parse(await submitted.Content.ReadAsStringAsync()).RootElement;
        if (submitted.StatusCode != HttpStatusCode.Accepted)
        {
            Assert.True(RefusedUpload.Contains(submitted.StatusCode), $"{file.Name}: /api/v1/jobs answered {(int)submitted.StatusCode} {body}");
            AssertMessage(file, body, "detail");
            return ((int)submitted.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var id = body.GetProperty("id").GetString();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < JobLimit)
        {
            var view = await server.Client.GetFromJsonAsync<JsonElement>($"api/v1/jobs/{id}");
            var state = view.GetProperty("state").GetString();
            if (state is "succeeded")
            {
                return state;
            }

            if (state is "failed" or "canceled")
            {
                AssertMessage(file, view, "message");
                return state;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{file.Name}: the job did not end within {JobLimit}");
    }

    private static void AssertMessage(HostileFile file, JsonElement body, string property) =>
        Assert.True(body.TryGetProperty(property, out var message) && message.GetString() is { Length: > 0 }, $"{file.Name}: no {property} in {body}");

    private void AssertBounded(HostileServer server)
    {
        var peak = server.Process.PeakResidentBytes;
        log.WriteLine($"server peak resident memory: {peak / 1e9:0.00} GB");
        Assert.True(peak < MaxResidentBytes, $"peak resident memory {peak / 1e9:0.00} GB");
    }

    private sealed record Answer(string File, string Class, string Generate, string Job);

    private sealed class Tally
    {
        public List<Answer> Answers { get; } = [];

        public void Add(HostileFile file, string generate, string job) => Answers.Add(new(file.Name, file.Class, generate, job));

        /// <summary>Per class: how many files, and how often each answer came from each route.</summary>
        public IEnumerable<string> Summary() =>
            Answers.GroupBy(a => a.Class).Select(g =>
                $"{g.Key}: {g.Count()} files; /generate {Counts(g.Select(a => a.Generate))}; /api/v1/jobs {Counts(g.Select(a => a.Job))}");

        private static string Counts(IEnumerable<string> answers) =>
            string.Join(", ", answers.GroupBy(a => a).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} ×{g.Count()}"));
    }

    /// <summary>The program as <c>serve</c>, classic engine, short clips, no rate limit, on a free loopback port.</summary>
    private sealed class HostileServer : IDisposable
    {
        private readonly TempFolder folder;

        private HostileServer(TempFolder folder, CliProcess process, Uri address)
        {
            this.folder = folder;
            Process = process;
            Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(2) };
        }

        public CliProcess Process { get; }

        public HttpClient Client { get; }

        public static async Task<HostileServer> StartAsync()
        {
            var folder = new TempFolder();
            var config = folder.Write("configuration.ini", "[WebOptions]\nHost=127.0.0.1\nPort=0\nJobsPerMinute=0\n[ModelOptions]\nEngine=classic\n");
            var process = CliProcess.Start(folder.Path, null, "serve", "--config", config);
            var line = await process.WaitForOutputAsync(l => l.StartsWith("Serving TurnLivePhotos on ", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
            return new HostileServer(folder, process, new Uri(line["Serving TurnLivePhotos on ".Length..].Trim() + "/"));
        }

        public void Dispose()
        {
            Client.Dispose();
            Process.Dispose();
            folder.Dispose();
        }
    }
}
