using TurnLivePhotos.Engine;
using TurnLivePhotos.Media.Formats;
using TurnLivePhotos.Server.Jobs;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Server;

/// <summary>
/// What every job store must do, run once per store (<see cref="SqliteJobStoreTests"/>, <see cref="PostgresJobStoreTests"/>):
/// keep a job in its own types, list and page, count the queue exactly, hand each queued job to exactly one worker,
/// hold it under a lease, apply the interruption rule when a lease runs out, and cancel from anywhere.
/// </summary>
public abstract class JobStoreContract
{
    private static readonly DateTimeOffset Created = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Another connection to the same store (as another process would open it); the schema is migrated by each.</summary>
    protected abstract IJobStore OpenStore();

    private static JobRequest Request(int frames = 6) =>
        new(new MotionParameters { Frames = frames, Fps = 7 }, EngineKind.Classic, [OutputFormat.Gif], null);

    private static JobRecord Queued(string id, int minutes = 0) =>
        new(id, Created.AddMinutes(minutes), JobState.Queued, Request(), null, new Dictionary<OutputFormat, string>(), 0, null);

    [SuiteFact]
    public void A_request_and_its_files_come_back_in_their_own_types_after_a_reopen()
    {
        var request = new JobRequest(
            new MotionParameters { Frames = 9, Fps = 12, MotionBucketId = 200, NoiseAugStrength = 0.1, MaxGuidanceScale = 2.5, Seed = long.MaxValue, DecodeChunkSize = 4 },
            EngineKind.Svd,
            [OutputFormat.WebP, OutputFormat.Live],
            LoopMode.Crossfade);
        OpenStore().Add(new JobRecord("j1", Created, JobState.Succeeded, request, "done",
            new Dictionary<OutputFormat, string> { [OutputFormat.Live] = "X.zip", [OutputFormat.WebP] = "x.webp" }, 1, Created.AddMinutes(1)));

        var stored = OpenStore().Get("j1");

        Assert.NotNull(stored);
        Assert.Equal(request.Parameters, stored.Request.Parameters);
        Assert.Equal(EngineKind.Svd, stored.Request.Engine);
        Assert.Equal([OutputFormat.WebP, OutputFormat.Live], stored.Request.Formats);
        Assert.Equal(LoopMode.Crossfade, stored.Request.Loop);
        Assert.Equal("X.zip", stored.Files[OutputFormat.Live]);
        Assert.Equal(Created, stored.CreatedAt);
        Assert.Equal(Created.AddMinutes(1), stored.FinishedAt);
        Assert.Equal(JobState.Succeeded, stored.State);
        Assert.Equal(1, stored.Attempts);
        Assert.Null(OpenStore().Get("missing"));
    }

    [SuiteFact]
    public void Lists_page_newest_first_states_oldest_first_and_deletes()
    {
        var store = OpenStore();
        for (var i = 0; i < 5; i++)
        {
            store.Add(Queued($"job{i}", minutes: i));
        }

        store.Update(store.Get("job3")! with { State = JobState.Failed, Message = "broken", FinishedAt = Created.AddDays(1) });
        store.Update(store.Get("job1")! with { State = JobState.Succeeded, FinishedAt = Created.AddDays(3) });

        var (page2, total) = store.List(page: 2, pageSize: 2);
        Assert.Equal(5, total);
        Assert.Equal(["job2", "job1"], page2.Select(job => job.Id));
        Assert.Equal(["job0", "job2", "job4"], store.InState(JobState.Queued).Select(job => job.Id));
        Assert.Equal(["job3"], store.FinishedBefore(Created.AddDays(2)).Select(job => job.Id));
        Assert.Equal("broken", store.Get("job3")!.Message);

        store.Delete("job3");
        Assert.Null(OpenStore().Get("job3"));
        Assert.Equal(4, store.List(1, 10).Total);
    }

    [SuiteFact]
    public async Task The_queue_limit_is_counted_in_the_store_even_when_processes_submit_together()
    {
        const int limit = 5;
        var stores = Enumerable.Range(0, 4).Select(_ => OpenStore()).ToList();
        var accepted = await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
            Task.Run(() => stores[i % stores.Count].TryEnqueue(Queued($"q{i:D2}"), limit))));

        Assert.Equal(limit, accepted.Count(added => added));
        Assert.Equal(limit, OpenStore().QueuedCount());
        Assert.Equal(limit, OpenStore().InState(JobState.Queued).Count);

        // A job that leaves the queue frees its place.
        Assert.NotNull(OpenStore().Claim("w", TimeSpan.FromMinutes(1)));
        Assert.True(OpenStore().TryEnqueue(Queued("late"), limit));
        Assert.False(OpenStore().TryEnqueue(Queued("later"), limit));
        Assert.Null(OpenStore().Get("later"));
    }

    [SuiteFact]
    public async Task Workers_claiming_together_take_every_job_exactly_once_oldest_first()
    {
        const int jobs = 40;
        var store = OpenStore();
        for (var i = 0; i < jobs; i++)
        {
            Assert.True(store.TryEnqueue(Queued($"c{i:D2}"), jobs));
        }

        Assert.Equal(1, store.QueuePosition("c00"));
        Assert.Equal(jobs, store.QueuePosition($"c{jobs - 1:D2}"));

        var first = store.Claim("solo", TimeSpan.FromMinutes(1))!;
        Assert.Equal("c00", first.Id);
        Assert.Equal(JobState.Running, first.State);
        Assert.NotNull(first.StartedAt);
        Assert.Null(store.QueuePosition("c00"));
        Assert.Equal(1, store.QueuePosition("c01"));

        var claimed = await Task.WhenAll(Enumerable.Range(0, 4).Select(worker => Task.Run(() =>
        {
            var mine = new List<string>();
            var connection = OpenStore();
            while (connection.Claim($"w{worker}", TimeSpan.FromMinutes(1)) is { } job)
            {
                mine.Add(job.Id);
            }

            return mine;
        })));

        var all = claimed.SelectMany(ids => ids).Append(first.Id).ToList();
        Assert.Equal(jobs, all.Count);
        Assert.Equal(jobs, all.Distinct().Count());
        Assert.All(claimed, ids => Assert.Equal(ids.Order(StringComparer.Ordinal), ids));
        Assert.Equal(0, store.QueuedCount());
        Assert.Equal(jobs, store.InState(JobState.Running).Count);
    }

    [SuiteFact]
    public void A_lease_is_renewed_with_progress_and_finished_only_by_its_holder()
    {
        var store = OpenStore();
        store.TryEnqueue(Queued("l1"), 10);
        var job = store.Claim("w1", TimeSpan.FromMinutes(1))!;

        Assert.Equal(LeaseState.Held, store.Renew(job.Id, "w1", TimeSpan.FromMinutes(1), new MotionProgress("animate", 3, 6)));
        Assert.Equal(LeaseState.Held, store.Renew(job.Id, "w1", TimeSpan.FromMinutes(1), null));
        Assert.Equal(new MotionProgress("animate", 3, 6), OpenStore().Get(job.Id)!.Progress);
        Assert.Equal(LeaseState.Lost, store.Renew(job.Id, "w2", TimeSpan.FromMinutes(1), null));
        Assert.False(store.Finish("w2", job with { State = JobState.Succeeded, FinishedAt = DateTimeOffset.UtcNow }));

        var files = new Dictionary<OutputFormat, string> { [OutputFormat.Gif] = "a.gif" };
        Assert.True(store.Finish("w1", job with { State = JobState.Succeeded, Files = files, FinishedAt = DateTimeOffset.UtcNow }));
        var done = OpenStore().Get(job.Id)!;
        Assert.Equal(JobState.Succeeded, done.State);
        Assert.Equal("a.gif", done.Files[OutputFormat.Gif]);
        Assert.Null(done.Progress);
        Assert.Equal(LeaseState.Lost, store.Renew(job.Id, "w1", TimeSpan.FromMinutes(1), null));
        Assert.False(store.Finish("w1", done));
    }

    [SuiteFact]
    public void A_job_given_back_by_a_stopping_worker_is_queued_again_without_counting_an_interruption()
    {
        var store = OpenStore();
        store.TryEnqueue(Queued("r1"), 10);
        var job = store.Claim("w1", TimeSpan.FromMinutes(1))!;

        Assert.True(store.Finish("w1", job with { State = JobState.Queued }));

        var again = OpenStore().Claim("w2", TimeSpan.FromMinutes(1));
        Assert.Equal("r1", again?.Id);
        Assert.Equal(0, again!.Attempts);
    }

    [SuiteFact]
    public void Cancel_ends_a_queued_job_before_it_starts_and_asks_a_running_one_to_stop()
    {
        var store = OpenStore();
        store.TryEnqueue(Queued("x1", 0), 10);
        store.TryEnqueue(Queued("x2", 1), 10);
        var running = store.Claim("w1", TimeSpan.FromMinutes(1))!;
        Assert.Equal("x1", running.Id);

        Assert.Equal(CancelOutcome.CanceledWhileQueued, OpenStore().RequestCancel("x2"));
        Assert.Equal(JobState.Canceled, store.Get("x2")!.State);
        Assert.NotNull(store.Get("x2")!.FinishedAt);
        Assert.Null(store.Claim("w2", TimeSpan.FromMinutes(1)));

        Assert.Equal(CancelOutcome.Requested, OpenStore().RequestCancel("x1"));
        Assert.True(store.Get("x1")!.CancelRequested);
        Assert.Equal(LeaseState.CancelRequested, store.Renew("x1", "w1", TimeSpan.FromMinutes(1), new MotionProgress("animate", 1, 6)));
        Assert.True(store.Finish("w1", running with { State = JobState.Canceled, Message = "canceled", FinishedAt = DateTimeOffset.UtcNow }));

        Assert.Equal(CancelOutcome.AlreadyFinished, store.RequestCancel("x1"));
        Assert.Equal(CancelOutcome.NotFound, store.RequestCancel("nope"));
    }

    [SuiteFact]
    public void An_expired_lease_queues_the_job_once_then_fails_it()
    {
        var store = OpenStore();
        store.TryEnqueue(Queued("e1"), 10);
        store.TryEnqueue(Queued("e2", 1), 10);
        var held = store.Claim("alive", TimeSpan.FromMinutes(5))!;
        var vanished = store.Claim("gone", TimeSpan.FromMilliseconds(1))!;
        Thread.Sleep(50);

        var expired = OpenStore().ExpireLeases();

        Assert.Equal([vanished.Id], expired.Select(job => job.Id));
        Assert.Equal(JobState.Queued, expired[0].State);
        Assert.Equal(1, expired[0].Attempts);
        Assert.Equal(JobState.Running, store.Get(held.Id)!.State);
        Assert.False(store.Finish("gone", vanished with { State = JobState.Succeeded, FinishedAt = DateTimeOffset.UtcNow }));
        Assert.Equal(LeaseState.Lost, store.Renew(vanished.Id, "gone", TimeSpan.FromMinutes(1), null));

        var second = store.Claim("gone-again", TimeSpan.FromMilliseconds(1))!;
        Assert.Equal(vanished.Id, second.Id);
        Thread.Sleep(50);
        var failed = store.ExpireLeases().Single();

        Assert.Equal(JobState.Failed, failed.State);
        Assert.Equal(InterruptionRule.LeaseExpiredTwice, failed.Message);
        Assert.NotNull(failed.FinishedAt);
        Assert.Equal(2, OpenStore().Get(vanished.Id)!.Attempts);
        Assert.Empty(store.ExpireLeases());
    }

    [SuiteFact]
    public void A_running_job_canceled_while_its_worker_vanished_ends_canceled()
    {
        var store = OpenStore();
        store.TryEnqueue(Queued("v1"), 10);
        store.Claim("gone", TimeSpan.FromMilliseconds(200));
        Assert.Equal(CancelOutcome.Requested, store.RequestCancel("v1"));
        Thread.Sleep(300);

        Assert.Equal(JobState.Canceled, store.ExpireLeases().Single().State);
    }
    [SuiteFact]
    public void The_photo_name_and_the_outcome_s_engine_and_failure_come_back_through_the_queue()
    {
        var store = OpenStore();
        store.TryEnqueue(Queued("n1") with { PhotoName = "lakeside" }, 10);
        store.TryEnqueue(Queued("n2", 1) with { PhotoName = "harbour at dusk" }, 10);
        var first = store.Claim("w1", TimeSpan.FromMinutes(1))!;
        var second = OpenStore().Claim("w1", TimeSpan.FromMinutes(1))!;

        Assert.Equal("lakeside", first.PhotoName);
        Assert.True(store.Finish("w1", first with { State = JobState.Succeeded, EngineName = "classic", FinishedAt = DateTimeOffset.UtcNow }));
        Assert.True(store.Finish("w1", second with { State = JobState.Failed, Failure = TurnLivePhotos.Core.Conversion.FailureKind.OutOfMemory, Message = "out of memory", FinishedAt = DateTimeOffset.UtcNow }));

        var done = OpenStore().Get("n1")!;
        var failed = OpenStore().Get("n2")!;
        Assert.Equal(("lakeside", "classic", (TurnLivePhotos.Core.Conversion.FailureKind?)null), (done.PhotoName, done.EngineName, done.Failure));
        Assert.Equal(("harbour at dusk", (string?)null, TurnLivePhotos.Core.Conversion.FailureKind.OutOfMemory), (failed.PhotoName, failed.EngineName, failed.Failure));
    }

    [SuiteFact]
    public void A_finished_job_s_interpolation_note_comes_back_and_a_job_without_one_has_none()
    {
        var store = OpenStore();
        store.TryEnqueue(Queued("i1"), 10);
        store.TryEnqueue(Queued("i2", 1), 10);
        var noted = store.Claim("w1", TimeSpan.FromMinutes(1))!;
        var plain = store.Claim("w1", TimeSpan.FromMinutes(1))!;

        Assert.True(store.Finish("w1", noted with { State = JobState.Succeeded, InterpolationNote = "no RIFE model at /m/rife/flownet.pkl, so …", FinishedAt = DateTimeOffset.UtcNow }));
        Assert.True(store.Finish("w1", plain with { State = JobState.Succeeded, FinishedAt = DateTimeOffset.UtcNow }));

        Assert.Equal("no RIFE model at /m/rife/flownet.pkl, so …", OpenStore().Get("i1")!.InterpolationNote);
        Assert.Null(OpenStore().Get("i2")!.InterpolationNote);
        OpenStore().Update(OpenStore().Get("i2")! with { InterpolationNote = "updated" });
        Assert.Equal("updated", OpenStore().Get("i2")!.InterpolationNote);
    }

    [SuiteFact]
    public void At_the_start_of_its_only_process_every_running_job_counts_as_interrupted_whatever_its_lease()
    {
        var store = OpenStore();
        store.TryEnqueue(Queued("s1"), 10);
        store.TryEnqueue(Queued("s2", 1), 10);
        store.Claim("before-restart", TimeSpan.FromHours(1));
        store.Add(new JobRecord("s3", Created, JobState.Running, Request(), null, new Dictionary<OutputFormat, string>(), 1, null));

        Assert.Empty(OpenStore().ExpireLeases());
        var expired = OpenStore().ExpireLeases(everyRunningJob: true).OrderBy(job => job.Id, StringComparer.Ordinal).ToList();

        Assert.Equal(["s1", "s3"], expired.Select(job => job.Id));
        Assert.Equal((JobState.Queued, 1), (expired[0].State, expired[0].Attempts));
        Assert.Equal((JobState.Failed, InterruptionRule.RestartedTwice), (expired[1].State, expired[1].Message));
        Assert.Equal("s1", store.Claim("after-restart", TimeSpan.FromMinutes(1))?.Id);
    }
}
