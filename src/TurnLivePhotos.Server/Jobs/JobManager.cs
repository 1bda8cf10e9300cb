using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Core.Conversion;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Media.Formats;
using TurnLivePhotos.Server.Web;

namespace TurnLivePhotos.Server.Jobs;

/// <summary>The queue refused a job because it is full.</summary>
public sealed class QueueFullException(TimeSpan retryAfter) : Exception("the queue is full")
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}

/// <summary>
/// Asynchronous jobs (the jobs API): persisted in <see cref="JobStore"/>, run through the shared
/// <see cref="GenerationQueue"/>, with live progress, queue positions and change notifications for server-sent
/// events. On start, jobs queued before a restart run again; a job that was running when the process died is
/// queued once more, then marked failed.
/// </summary>
public sealed class JobManager(JobStore store, GenerationQueue queue, AppSettings settings, OutputLocation outputs, ILogger<JobManager> logger) : IHostedService
{
    private readonly ConcurrentDictionary<string, LiveJob> live = new();
    private long sequence;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        DeleteExpired();
        foreach (var interrupted in store.InState(JobState.Running))
        {
            var attempts = interrupted.Attempts + 1;
            store.Update(attempts > 1
                ? interrupted with { State = JobState.Failed, Attempts = attempts, Message = "interrupted twice by a server restart", FinishedAt = DateTimeOffset.UtcNow }
                : interrupted with { State = JobState.Queued, Attempts = attempts });
        }

        foreach (var queued in store.InState(JobState.Queued))
        {
            var input = InputPath(queued.Id);
            if (File.Exists(input) && TryEnqueue(queued, File.ReadAllBytes(input)))
            {
                continue;
            }

            Finish(queued, JobState.Failed, "could not be queued again after a restart", new Dictionary<string, string>());
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <exception cref="QueueFullException">No room in the queue.</exception>
    public JobView Submit(byte[] photo, JobRequest request)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var record = new JobRecord(id, DateTimeOffset.UtcNow, JobState.Queued, JsonSerializer.Serialize(request, JobJsonContext.Default.JobRequest), null, new Dictionary<string, string>(), 0, null);
        Directory.CreateDirectory(JobFolder(id));
        TurnLivePhotos.Media.AtomicFile.WriteAllBytes(InputPath(id), photo);
        store.Add(record);
        if (!TryEnqueue(record, photo))
        {
            store.Delete(id);
            Directory.Delete(JobFolder(id), recursive: true);
            throw new QueueFullException(queue.SuggestedRetryAfter);
        }

        return View(id)!;
    }

    /// <summary>Cancels a queued or running job; false when it has already finished or does not exist.</summary>
    public bool Cancel(string id)
    {
        if (!live.TryGetValue(id, out var job))
        {
            return false;
        }

        job.Cancellation.Cancel();
        return true;
    }

    public JobView? View(string id)
    {
        var record = store.Get(id);
        return record is null ? null : ToView(record);
    }

    public JobPage List(int page, int pageSize)
    {
        var (jobs, total) = store.List(page, pageSize);
        return new JobPage(jobs.Select(ToView).ToList(), page, pageSize, total);
    }

    /// <summary>The job's file for a format (format name as in the API), or null.</summary>
    public string? FilePath(string id, string format)
    {
        var record = store.Get(id);
        return record is not null && record.Files.TryGetValue(format, out var name) ? Path.Combine(JobFolder(id), name) : null;
    }

    /// <summary>Every change of the job as it happens, ending with its final state.</summary>
    public ChannelReader<JobView>? Subscribe(string id)
    {
        var current = View(id);
        if (current is null)
        {
            return null;
        }

        var channel = Channel.CreateUnbounded<JobView>();
        channel.Writer.TryWrite(current);
        if (live.TryGetValue(id, out var job))
        {
            job.Subscribers.Add(channel.Writer);
        }

        // Finished already, or finished while subscribing: send the final state and end the stream.
        if (!live.ContainsKey(id) || current.State is not ("queued" or "running"))
        {
            if (View(id) is { } latest && latest.State != current.State)
            {
                channel.Writer.TryWrite(latest);
            }

            channel.Writer.TryComplete();
        }

        return channel.Reader;
    }

    private bool TryEnqueue(JobRecord record, byte[] photo)
    {
        var request = JsonSerializer.Deserialize(record.Request, JobJsonContext.Default.JobRequest)!;
        var liveJob = new LiveJob(record.Id, Interlocked.Increment(ref sequence));
        var generation = new GenerationJob(
            new ConversionRequest(photo, Parameters(request), Enum.Parse<EngineKind>(request.Engine, ignoreCase: true), JobFolder(record.Id), record.CreatedAt.ToLocalTime().ToString("yyyyMMdd_HHmmss", System.Globalization.CultureInfo.InvariantCulture))
            {
                Outputs = settings.Output with
                {
                    Formats = OutputOptions.ParseFormats(string.Join(',', request.Formats)),
                    Loop = request.Loop is null ? null : Enum.Parse<LoopMode>(request.Loop, ignoreCase: true),
                    FormatsRequested = true,
                },
            },
            liveJob.Cancellation.Token)
        {
            OnStarted = () =>
            {
                liveJob.StartedAt = DateTimeOffset.UtcNow;
                store.Update(store.Get(record.Id)! with { State = JobState.Running });
                Publish(liveJob);
            },
            Progress = new TurnLivePhotos.Engine.SynchronousProgress<MotionProgress>(step =>
            {
                liveJob.Progress = step;
                Publish(liveJob);
            }),
        };
        live[record.Id] = liveJob;
        bool accepted;
        try
        {
            accepted = queue.TryEnqueue(generation);
        }
        catch (EngineUnavailableException ex)
        {
            live.TryRemove(record.Id, out _);
            Finish(record, JobState.Failed, ex.Message, new Dictionary<string, string>());
            return true;
        }

        if (!accepted)
        {
            live.TryRemove(record.Id, out _);
            return false;
        }

        generation.Completion.ContinueWith(task => Completed(record.Id, liveJob, task), TaskScheduler.Default);
        Publish(liveJob);
        return true;
    }

    private void Completed(string id, LiveJob job, Task<ConversionResult> task)
    {
        var record = store.Get(id)!;
        if (task.IsCanceled && !job.Cancellation.IsCancellationRequested)
        {
            // The server is shutting down, not the person cancelling: the job runs again after the restart.
            store.Update(record with { State = JobState.Queued });
        }
        else if (task.IsCanceled || job.Cancellation.IsCancellationRequested)
        {
            Finish(record, JobState.Canceled, "canceled", new Dictionary<string, string>());
        }
        else if (task.IsFaulted)
        {
            var error = task.Exception!.GetBaseException();
            logger.LogError(error, "Job {Job} failed", id);
            var message = error is TurnLivePhotos.Media.Decoding.UnsupportedPhotoException or TurnLivePhotos.Media.Decoding.PhotoTooLargeException
                ? error.Message
                : error is EngineOutOfMemoryException ? "the engine ran out of memory; try again later" : "generation failed; the details are in the server log";
            Finish(record, JobState.Failed, message, new Dictionary<string, string>());
        }
        else
        {
            var result = task.Result;
            var files = result.Files.ToDictionary(f => f.Key.ToString().ToLowerInvariant(), f => Path.GetFileName(DownloadFile(f.Key, f.Value, result)));
            Finish(record, result.Failures.Count == 0 ? JobState.Succeeded : JobState.Failed,
                result.Failures.Count == 0 ? null : string.Join("; ", result.Failures.Values), files);
        }

        live.TryRemove(id, out _);
        foreach (var subscriber in job.Subscribers)
        {
            subscriber.TryComplete();
        }
    }

    /// <summary>A Live Photo downloads as its .zip (the JPG and MOV together); every other format as its one file.</summary>
    private static string DownloadFile(OutputFormat format, string path, ConversionResult result) =>
        format == OutputFormat.Live ? result.Companions.First(c => c.EndsWith(".zip", StringComparison.OrdinalIgnoreCase)) : path;

    private void Finish(JobRecord record, JobState state, string? message, IReadOnlyDictionary<string, string> files)
    {
        store.Update(record with { State = state, Message = message, Files = files, FinishedAt = DateTimeOffset.UtcNow });
        if (live.TryGetValue(record.Id, out var job))
        {
            Publish(job);
        }
    }

    private void Publish(LiveJob job)
    {
        var view = View(job.Id);
        if (view is null)
        {
            return;
        }

        foreach (var subscriber in job.Subscribers)
        {
            subscriber.TryWrite(view);
        }
    }

    private JobView ToView(JobRecord record)
    {
        live.TryGetValue(record.Id, out var job);
        var progress = record.State == JobState.Running ? job?.Progress : null;
        double? percent = record.State switch
        {
            JobState.Succeeded => 100,
            JobState.Running => Math.Round(100 * (progress?.OverallFraction ?? 0), 1),
            _ => null,
        };
        double? eta = null;
        if (record.State == JobState.Running && job?.StartedAt is { } started && progress is { OverallFraction: > 0.02 } p)
        {
            var elapsed = (DateTimeOffset.UtcNow - started).TotalSeconds;
            eta = Math.Round(elapsed / p.OverallFraction * (1 - p.OverallFraction), 1);
        }

        var self = $"/api/v1/jobs/{record.Id}";
        return new JobView(
            record.Id,
            record.State.ToString().ToLowerInvariant(),
            record.CreatedAt,
            record.State == JobState.Queued && job is not null ? QueuePosition(job) : null,
            progress?.Stage,
            progress?.Step,
            progress?.TotalSteps,
            percent,
            eta,
            record.Message,
            record.Files.ToDictionary(f => f.Key, f => $"{self}/files/{f.Key}"),
            new JobLinks(self, $"{self}/events"));
    }

    private int QueuePosition(LiveJob job) =>
        1 + live.Values.Count(other => other.StartedAt is null && other.Sequence < job.Sequence);

    private MotionParameters Parameters(JobRequest request) => settings.Model.DefaultParameters with
    {
        MotionBucketId = request.MotionBucketId,
        NoiseAugStrength = request.NoiseAugStrength,
        MaxGuidanceScale = request.MaxGuidanceScale,
        Frames = request.Frames,
        Fps = request.Fps,
        Seed = request.Seed,
        Camera = request.Camera is null ? settings.Model.Camera : Enum.Parse<CameraMove>(request.Camera, ignoreCase: true),
    };

    private void DeleteExpired()
    {
        if (settings.Store.KeepJobsDays <= 0)
        {
            return;
        }

        foreach (var old in store.FinishedBefore(DateTimeOffset.UtcNow.AddDays(-settings.Store.KeepJobsDays)))
        {
            if (Directory.Exists(JobFolder(old.Id)))
            {
                Directory.Delete(JobFolder(old.Id), recursive: true);
            }

            store.Delete(old.Id);
        }
    }

    private string JobFolder(string id) => Path.Combine(outputs.Directory, "jobs", id);

    private string InputPath(string id) => Path.Combine(JobFolder(id), "input.photo");

    private sealed class LiveJob(string id, long sequence)
    {
        public string Id { get; } = id;

        public long Sequence { get; } = sequence;

        public CancellationTokenSource Cancellation { get; } = new();

        public DateTimeOffset? StartedAt { get; set; }

        public MotionProgress? Progress { get; set; }

        public ConcurrentBag<ChannelWriter<JobView>> Subscribers { get; } = [];
    }
}
