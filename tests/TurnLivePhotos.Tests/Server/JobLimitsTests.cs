using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Media.Formats;
using TurnLivePhotos.Server.Jobs;
using TurnLivePhotos.Server.Jobs.Postgres;
using TurnLivePhotos.Tests.Support;
using Xunit.Abstractions;

namespace TurnLivePhotos.Tests.Server;

/// <summary>
/// Jobs are stoppable and bounded, and so is the disk (issue 24, items 5 and 6), over real HTTP on both pipelines:
/// SQLite (the in-process queue) and PostgreSQL (a worker inside the server). A stage that ignores its token is the
/// <see cref="StuckWritingEngine"/>'s writer, blocked like a looping metadata parser.
/// </summary>
public abstract class JobLimitsContract(ITestOutputHelper output)
{
    /// <summary>Far longer than a second and far shorter than forever: what "stops promptly" is checked against.</summary>
    private static readonly TimeSpan Promptly = TimeSpan.FromSeconds(10);

    private static readonly byte[] Photo = TestPhotos.Scene(160, 120);

    protected abstract AppSettings WithStore(AppSettings settings);

    protected abstract IJobStore OpenStore(RunningServer server);

    [SuiteFact]
    public async Task Delete_while_a_writer_ignores_its_token_cancels_the_job_at_once_and_the_next_job_runs()
    {
        using var engine = new StuckWritingEngine();
        await using var server = await StartAsync(s => s, engine);
        var stuck = await SubmitAsync(server);
        await engine.Writing.WaitAsync(Promptly);
        var next = await SubmitAsync(server);

        var clock = Stopwatch.StartNew();
        using var cancel = await server.Client.DeleteAsync($"api/v1/jobs/{stuck}");
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        await WaitForStateAsync(server, stuck, "canceled", Promptly);
        var stopped = clock.Elapsed;

        output.WriteLine($"DELETE to canceled: {stopped.TotalMilliseconds:0} ms");
        await WaitForStateAsync(server, next, "succeeded", TimeSpan.FromSeconds(60));
        Assert.True(stopped < Promptly, $"the job took {stopped} to stop");
    }

    [SuiteFact]
    public async Task A_job_over_its_time_limit_fails_with_a_message_naming_the_setting_and_the_next_job_runs()
    {
        using var engine = new StuckWritingEngine();
        await using var server = await StartAsync(s => s with { Web = s.Web with { JobTimeout = TimeSpan.FromSeconds(5) } }, engine);
        var stuck = await SubmitAsync(server);
        var next = await SubmitAsync(server);

        var failed = await WaitForStateAsync(server, stuck, "failed", TimeSpan.FromSeconds(30));

        Assert.Contains("JobTimeoutMinutes", failed.GetProperty("message").GetString(), StringComparison.Ordinal);
        await WaitForStateAsync(server, next, "succeeded", TimeSpan.FromSeconds(60));
    }

    [SuiteFact]
    public async Task Stopping_the_server_does_not_wait_for_a_stage_that_ignores_its_token()
    {
        using var engine = new StuckWritingEngine();
        var server = await StartAsync(s => s, engine);
        var stuck = await SubmitAsync(server);
        await engine.Writing.WaitAsync(Promptly);

        var clock = Stopwatch.StartNew();
        await server.StopAsync();
        var stopping = clock.Elapsed;
        output.WriteLine($"server stop with a stuck job: {stopping.TotalMilliseconds:0} ms");

        Assert.True(stopping < Promptly, $"stopping took {stopping}");
        var store = OpenStore(server);
        Assert.Equal(JobState.Queued, store.Get(stuck)!.State);
        (store as IDisposable)?.Dispose();
        await server.DisposeAsync();
    }

    [SuiteFact]
    public async Task Retention_deletes_an_expired_job_while_the_server_runs()
    {
        await using var server = await StartAsync(s => s with { Store = s.Store with { KeepJobsDays = 1, RetentionInterval = TimeSpan.FromMilliseconds(200) } });
        var store = OpenStore(server);
        var finished = DateTimeOffset.UtcNow.AddDays(-2);
        var request = new JobRequest(new TurnLivePhotos.Engine.MotionParameters { Frames = 3 }, TurnLivePhotos.Engine.EngineKind.Classic, [OutputFormat.Gif], null);
        var folder = Path.Combine(server.OutputsHome, "jobs", "expired");
        Directory.CreateDirectory(folder);
        await File.WriteAllBytesAsync(Path.Combine(folder, "a.gif"), [1, 2, 3]);
        store.Add(new JobRecord("expired", finished, JobState.Succeeded, request, null, new Dictionary<OutputFormat, string> { [OutputFormat.Gif] = "a.gif" }, 0, finished));
        // A sweep deletes the files first, then the record: wait for both.
        await WaitUntilAsync(() => !Directory.Exists(folder) && store.Get("expired") is null, "the expired job or its folder is still there");

        using var gone = await server.Client.GetAsync("api/v1/jobs/expired");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        (store as IDisposable)?.Dispose();
    }

    [SuiteFact]
    public async Task A_generate_result_lives_in_its_own_job_folder_and_expires_like_any_job()
    {
        await using var server = await StartAsync(s => s with { Store = s.Store with { KeepJobsDays = 1, RetentionInterval = TimeSpan.FromMilliseconds(200) } });

        using var response = await server.GenerateAsync(Photo);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var gif = Assert.Single(Directory.GetFiles(server.OutputsHome, "*.gif", SearchOption.AllDirectories));
        var folder = Path.GetDirectoryName(gif)!;
        Assert.Equal(Path.Combine(server.OutputsHome, "jobs"), Path.GetDirectoryName(folder));
        var store = OpenStore(server);
        var id = Path.GetFileName(folder);
        await WaitUntilAsync(() => store.Get(id)?.State == JobState.Succeeded, "the /generate job is not recorded as succeeded");
        var job = store.Get(id)!;

        // Two days old now: the next sweep takes it, folder and record.
        store.Update(job with { FinishedAt = DateTimeOffset.UtcNow.AddDays(-2) });
        await WaitUntilAsync(() => !Directory.Exists(folder) && store.Get(job.Id) is null, "the /generate job or its folder is still there");
        (store as IDisposable)?.Dispose();
    }

    [SuiteFact]
    public async Task Gifs_that_earlier_versions_of_generate_left_in_the_outputs_root_expire_by_age()
    {
        using var outputs = new TempFolder();
        var old = Path.Combine(outputs.Path, "20250101-120000-0a1b2c3d.gif");
        var recent = Path.Combine(outputs.Path, "20260101-120000-1a2b3c4d.gif");
        var someoneElses = Path.Combine(outputs.Path, "holiday.gif");
        foreach (var (path, age) in new[] { (old, 40), (recent, 2), (someoneElses, 40) })
        {
            await File.WriteAllBytesAsync(path, [1]);
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddDays(-age));
        }

        await using var server = await StartAsync(s => s with { Store = s.Store with { OutputsHome = outputs.Path, KeepJobsDays = 30 } });

        Assert.False(File.Exists(old));
        Assert.True(File.Exists(recent));
        Assert.True(File.Exists(someoneElses));
    }

    [SuiteFact]
    public async Task Outputs_at_their_limit_refuse_new_jobs_with_507_on_both_routes_until_space_is_freed()
    {
        // 0.001 GB is about 1 MB; a 2 MB file fills it.
        await using var server = await StartAsync(s => s with { Store = s.Store with { MaxOutputsGb = 0.001 } });
        var filler = Path.Combine(Directory.CreateDirectory(server.OutputsHome).FullName, "filler.bin");
        await File.WriteAllBytesAsync(filler, new byte[2 * 1024 * 1024]);

        using var api = await server.Client.PostAsync("api/v1/jobs", RunningServer.Form(Photo, "p.jpg", ("formats", "gif"), ("frames", "3")));
        using var generate = await server.GenerateAsync(Photo);

        Assert.Equal(HttpStatusCode.InsufficientStorage, api.StatusCode);
        Assert.Equal("application/problem+json", api.Content.Headers.ContentType?.MediaType);
        var problem = await api.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(507, problem.GetProperty("status").GetInt32());
        Assert.Contains("full", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var message = await GenerateEndpointTests.AssertMessageAsync(generate, HttpStatusCode.InsufficientStorage, "full");
        Assert.DoesNotContain(server.Root, message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(server.OutputsHome, "input.photo", SearchOption.AllDirectories));

        File.Delete(filler);
        var accepted = await SubmitAsync(server);
        await WaitForStateAsync(server, accepted, "succeeded", TimeSpan.FromSeconds(60));
    }

    private async Task<RunningServer> StartAsync(Func<AppSettings, AppSettings> configure, TurnLivePhotos.Engine.IMotionEngine? engine = null) =>
        await RunningServer.StartAsync(s => configure(WithStore(s)), engine);

    private static async Task<string> SubmitAsync(RunningServer server)
    {
        using var response = await server.Client.PostAsync("api/v1/jobs", RunningServer.Form(Photo, "p.jpg", ("formats", "gif"), ("frames", "3")));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    private static async Task<JsonElement> WaitForStateAsync(RunningServer server, string id, string state, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var job = await server.Client.GetFromJsonAsync<JsonElement>($"api/v1/jobs/{id}");
            if (job.GetProperty("state").GetString() == state)
            {
                return job;
            }

            Assert.True(clock.Elapsed < limit, $"job {id} is {job.GetProperty("state").GetString()}, not {state}, after {clock.Elapsed}: {job}");
            await Task.Delay(50);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string failure)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < Promptly, failure);
            await Task.Delay(50);
        }
    }
}

/// <summary>The contract with the default store: SQLite in OutputsHome, jobs run by the in-process queue.</summary>
public sealed class SqliteJobLimitsTests(ITestOutputHelper output) : JobLimitsContract(output)
{
    protected override AppSettings WithStore(AppSettings settings) => settings;

    protected override IJobStore OpenStore(RunningServer server) => new SqliteJobStore(server.OutputsHome);
}

/// <summary>The contract with a shared PostgreSQL store (a private cluster on loopback), jobs run by the server's own worker.</summary>
[Collection(PostgresCollection.Name)]
[ToolsForEveryFact("initdb", "pg_ctl")]
public sealed class PostgresJobLimitsTests(PostgresCluster cluster, ITestOutputHelper output) : JobLimitsContract(output)
{
    private readonly Lazy<string> database = new(cluster.CreateDatabase);

    protected override AppSettings WithStore(AppSettings settings) =>
        settings with { Store = settings.Store with { JobStore = new JobStoreLocation(JobStoreKind.PostgreSql, database.Value) } };

    protected override IJobStore OpenStore(RunningServer server) => new PostgresJobStore(database.Value);
}
