using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Media.Formats;
using TurnLivePhotos.Server.Jobs;
using TurnLivePhotos.Server.Jobs.Postgres;

namespace TurnLivePhotos.Bench;

/// <summary>
/// <c>bench queue</c>: jobs per second through the shared queue alone — submit (the exact MaxQueuedJobs count),
/// claim, one progress renewal, finish — with 1, 2 and 4 workers, each on its own connection as separate processes
/// would be, on SQLite and (given <c>--postgres</c>) PostgreSQL. The job itself costs nothing (a zero-frame run: no
/// engine, no files), so the figure is the queue's ceiling, not a conversion rate.
/// </summary>
public static class QueueBench
{
    public static Command Create(TextWriter output)
    {
        var jobs = new Option<int>("--jobs") { Description = "Jobs per run", DefaultValueFactory = _ => 400 };
        var workers = new Option<string>("--workers") { Description = "Worker counts to try, comma-separated", DefaultValueFactory = _ => "1,2,4" };
        var postgres = new Option<string?>("--postgres") { Description = "A PostgreSQL connection string (an empty database the bench may fill); without it only SQLite is measured" };
        var command = new Command("queue", "Jobs per second through submit + claim + progress + finish, 1/2/4 workers, SQLite vs PostgreSQL, zero-cost jobs");
        command.Options.Add(jobs);
        command.Options.Add(workers);
        command.Options.Add(postgres);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var counts = parse.GetValue(workers)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(count => int.Parse(count, CultureInfo.InvariantCulture)).ToList();
            var total = parse.GetValue(jobs);
            var folder = Directory.CreateTempSubdirectory("tlp-bench-queue-").FullName;
            try
            {
                foreach (var count in counts)
                {
                    var sqlite = Path.Combine(folder, $"sqlite-{count}");
                    await output.WriteLineAsync(await RunAsync("sqlite", () => new SqliteJobStore(sqlite), count, total, cancellationToken));
                }

                if (parse.GetValue(postgres) is { } connection)
                {
                    foreach (var count in counts)
                    {
                        using (var clean = new PostgresJobStore(connection))
                        {
                            foreach (var old in clean.List(1, int.MaxValue).Jobs)
                            {
                                clean.Delete(old.Id);
                            }
                        }

                        var stores = new List<PostgresJobStore>();
                        await output.WriteLineAsync(await RunAsync("postgresql", () =>
                        {
                            var store = new PostgresJobStore(connection);
                            stores.Add(store);
                            return store;
                        }, count, total, cancellationToken));
                        stores.ForEach(store => store.Dispose());
                    }
                }
                else
                {
                    await output.WriteLineAsync("postgresql: not measured (give --postgres \"Host=…;Database=…;Username=…\")");
                }
            }
            finally
            {
                Directory.Delete(folder, recursive: true);
            }

            return 0;
        });
        return command;
    }

    private static async Task<string> RunAsync(string name, Func<IJobStore> open, int workers, int jobs, CancellationToken cancellationToken)
    {
        var submitter = open();
        var stores = Enumerable.Range(0, workers).Select(_ => open()).ToList();
        var request = new JobRequest(new MotionParameters { Frames = 0 }, EngineKind.Classic, [OutputFormat.Gif], null);
        var lease = TimeSpan.FromSeconds(30);
        var clock = Stopwatch.StartNew();
        var submitting = Task.Run(() =>
        {
            for (var i = 0; i < jobs; i++)
            {
                var job = new JobRecord($"bench{i:D6}", DateTimeOffset.UtcNow, JobState.Queued, request, null, new Dictionary<OutputFormat, string>(), 0, null);
                if (!submitter.TryEnqueue(job, jobs))
                {
                    throw new InvalidOperationException("the queue refused a job below its limit");
                }
            }
        }, cancellationToken);
        var done = 0;
        var running = stores.Select((store, index) => Task.Run(() =>
        {
            var worker = $"bench-worker-{index}";
            while (Volatile.Read(ref done) < jobs)
            {
                if (store.Claim(worker, lease) is not { } job)
                {
                    Thread.Yield();
                    continue;
                }

                store.Renew(job.Id, worker, lease, new MotionProgress("animate", 0, 0));
                if (!store.Finish(worker, job with { State = JobState.Succeeded, FinishedAt = DateTimeOffset.UtcNow }))
                {
                    throw new InvalidOperationException($"job {job.Id} could not be finished by its worker");
                }

                Interlocked.Increment(ref done);
            }
        }, cancellationToken)).ToList();
        await Task.WhenAll(running.Append(submitting));
        var seconds = clock.Elapsed.TotalSeconds;
        var succeeded = submitter.InState(JobState.Succeeded).Count;
        return string.Create(CultureInfo.InvariantCulture,
            $"{name,-10} workers={workers} jobs={jobs} succeeded={succeeded} time={seconds:0.00} s  {jobs / seconds:0} jobs/s");
    }
}
