using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using TurnLivePhotos.Server.Jobs.Postgres;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Server;

/// <summary>
/// The three-process layout for real: the program started as one <c>serve --no-worker</c> and two <c>worker</c>
/// processes on one private PostgreSQL database and one shared outputs folder, classic engine, small photos.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed partial class SharedQueueProcessTests(PostgresCluster cluster)
{
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(60);

    [RequiresToolsFact("initdb", "pg_ctl")]
    public async Task Forty_jobs_on_two_workers_each_run_exactly_once_through_a_web_restart_and_a_canceled_job_never_starts()
    {
        using var site = new Site(cluster.CreateDatabase());
        var web = await site.StartWebAsync();
        using var workerA = await site.StartWorkerAsync();
        using var workerB = await site.StartWorkerAsync();

        var photo = TestPhotos.Scene(96, 64);
        var ids = new List<string>();
        for (var i = 0; i < 40; i++)
        {
            ids.Add(await SubmitAsync(web.Client, photo));
        }

        // With forty ahead of it the forty-first is still queued: canceled there, it must never start.
        var canceled = await SubmitAsync(web.Client, photo);
        using (var cancel = await web.Client.DeleteAsync($"api/v1/jobs/{canceled}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
            Assert.Equal("canceled", (await cancel.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
        }

        // The web process goes away mid-run and another takes its place: clients reconnect and see every job end.
        Assert.Equal(0, await web.Process.TerminateAsync(TimeSpan.FromSeconds(30)));
        web.Dispose();
        using var web2 = await site.StartWebAsync();
        var finals = await Task.WhenAll(ids.Select(id => FollowToEndAsync(web2.Client, id)));

        Assert.All(finals, state => Assert.Equal("succeeded", state));
        var ran = workerA.Process.Output.Concat(workerB.Process.Output).Select(line => RunsJob().Match(line)).Where(match => match.Success)
            .Select(match => match.Groups[1].Value).ToList();
        Assert.Equal(ids.Order(StringComparer.Ordinal), ran.Order(StringComparer.Ordinal));
        Assert.Contains(workerA.Process.Output, line => RunsJob().IsMatch(line));
        Assert.Contains(workerB.Process.Output, line => RunsJob().IsMatch(line));
        Assert.Equal("canceled", await FollowToEndAsync(web2.Client, canceled));
        Assert.DoesNotContain(canceled, ran);
        using var gif = await web2.Client.GetAsync($"api/v1/jobs/{ids[^1]}/files/gif");
        Assert.Equal(HttpStatusCode.OK, gif.StatusCode);
        Assert.Equal("GIF89a", System.Text.Encoding.ASCII.GetString((await gif.Content.ReadAsByteArrayAsync())[..6]));

        // The Python tool's /generate on a front that runs no job: a GIF-only job, made by a worker.
        using var form = RunningServer.Form(photo, "photo.jpg", ("frames", "4"));
        using var generated = await web2.Client.PostAsync("generate", form);
        Assert.Equal(HttpStatusCode.OK, generated.StatusCode);
        Assert.Equal("image/gif", generated.Content.Headers.ContentType?.MediaType);
        Assert.Equal("GIF89a", System.Text.Encoding.ASCII.GetString((await generated.Content.ReadAsByteArrayAsync())[..6]));
    }

    [RequiresToolsFact("initdb", "pg_ctl")]
    public async Task A_worker_killed_mid_job_leaves_it_to_the_other_and_a_running_job_stops_when_canceled()
    {
        using var site = new Site(cluster.CreateDatabase());
        using var web = await site.StartWebAsync();
        using var workerA = await site.StartWorkerAsync();
        using var workerB = await site.StartWorkerAsync();
        var photo = TestPhotos.Scene(1200, 900);

        var id = await SubmitAsync(web.Client, photo, frames: 48);
        var runner = await WhoRunsAsync(id, workerA, workerB);
        var other = runner == workerA ? workerB : workerA;
        using (var kill = System.Diagnostics.Process.Start("kill", ["-KILL", runner.Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill!.WaitForExitAsync();
        }

        Assert.Equal("succeeded", await FollowToEndAsync(web.Client, id));
        Assert.Contains(other.Process.Output, line => line.Contains($"runs job {id}", StringComparison.Ordinal));
        using (var store = new PostgresJobStore(site.Database))
        {
            Assert.Equal(1, store.Get(id)!.Attempts);
        }

        var second = await SubmitAsync(web.Client, photo, frames: 48);
        await WhoRunsAsync(second, other);
        using (var cancel = await web.Client.DeleteAsync($"api/v1/jobs/{second}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal("canceled", await FollowToEndAsync(web.Client, second));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the worker took {clock.Elapsed} to stop a canceled job");
    }

    private static async Task<string> SubmitAsync(HttpClient client, byte[] photo, int frames = 4)
    {
        using var form = RunningServer.Form(photo, "photo.jpg", ("formats", "gif"), ("frames", frames.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("engine", "classic"));
        using var response = await client.PostAsync("api/v1/jobs", form);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    /// <summary>Reads the job's server-sent events to the end; the last event's state.</summary>
    private static async Task<string> FollowToEndAsync(HttpClient client, string id)
    {
        using var stream = await client.GetStreamAsync($"api/v1/jobs/{id}/events");
        using var reader = new StreamReader(stream);
        string? state = null;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                using var view = JsonDocument.Parse(line[6..]);
                state = view.RootElement.GetProperty("state").GetString();
            }
        }

        return state ?? throw new InvalidOperationException($"no event for job {id}");
    }

    private static async Task<Node> WhoRunsAsync(string id, params Node[] workers)
    {
        for (var waited = 0; waited < 60_000; waited += 50)
        {
            if (workers.FirstOrDefault(worker => worker.Process.Output.Any(line => line.Contains($"runs job {id}", StringComparison.Ordinal))) is { } runner)
            {
                return runner;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"no worker started job {id}");
    }

    [GeneratedRegex(@"runs job ([0-9a-f]{32})")]
    private static partial Regex RunsJob();

    /// <summary>One running process of the site, with an HTTP client when it serves.</summary>
    private sealed class Node(CliProcess process, HttpClient? client) : IDisposable
    {
        public CliProcess Process { get; } = process;

        public HttpClient Client => client ?? throw new InvalidOperationException("a worker serves no HTTP");

        public void Dispose()
        {
            client?.Dispose();
            Process.Dispose();
        }
    }

    /// <summary>One database and one outputs folder that every process of the site shares; each process has its own working folder.</summary>
    private sealed class Site(string database) : IDisposable
    {
        private readonly TempFolder folder = new();

        public string Database { get; } = database;

        private Dictionary<string, string> Environment => new()
        {
            ["TLP_StoreOptions__JobStore"] = Database,
            ["TLP_StoreOptions__OutputsHome"] = folder["shared/outputs"],
            ["TLP_StoreOptions__ModelsHome"] = folder["models"],
            ["TLP_StoreOptions__LeaseSeconds"] = "2",
            ["TLP_ModelOptions__Engine"] = "classic",
            ["TLP_WebOptions__Host"] = "127.0.0.1",
            ["TLP_WebOptions__MaxQueuedJobs"] = "100",
            ["TLP_WebOptions__JobsPerMinute"] = "0",
        };

        public async Task<Node> StartWebAsync()
        {
            var process = CliProcess.Start(NodeFolder(), Environment, "serve", "--no-worker", "--port", "0");
            var line = await process.WaitForOutputAsync(text => text.StartsWith("Serving TurnLivePhotos on ", StringComparison.Ordinal), Startup);
            return new Node(process, new HttpClient { BaseAddress = new Uri(line["Serving TurnLivePhotos on ".Length..].Trim() + "/"), Timeout = TimeSpan.FromMinutes(2) });
        }

        public async Task<Node> StartWorkerAsync()
        {
            var process = CliProcess.Start(NodeFolder(), Environment, "worker");
            await process.WaitForOutputAsync(text => text.StartsWith("Worker taking jobs", StringComparison.Ordinal), Startup);
            return new Node(process, null);
        }

        public void Dispose() => folder.Dispose();

        private string NodeFolder() => Directory.CreateDirectory(folder[$"node-{Guid.NewGuid():N}"]).FullName;
    }
}
