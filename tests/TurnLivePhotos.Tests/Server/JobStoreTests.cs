using TurnLivePhotos.Engine;
using TurnLivePhotos.Media.Formats;
using TurnLivePhotos.Server.Jobs;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Server;

/// <summary>The SQLite job store keeps a job's request and files in their own types, across a reopen.</summary>
public sealed class JobStoreTests
{
    [Fact]
    public void A_request_and_its_files_come_back_in_their_own_types_after_a_reopen()
    {
        using var folder = new TempFolder();
        var request = new JobRequest(
            new MotionParameters { Frames = 9, Fps = 12, MotionBucketId = 200, NoiseAugStrength = 0.1, MaxGuidanceScale = 2.5, Seed = long.MaxValue, DecodeChunkSize = 4 },
            EngineKind.Svd,
            [OutputFormat.WebP, OutputFormat.Live],
            LoopMode.Crossfade);
        var created = new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
        new SqliteJobStore(folder.Path).Add(new JobRecord("j1", created, JobState.Succeeded, request, "done",
            new Dictionary<OutputFormat, string> { [OutputFormat.Live] = "X.zip", [OutputFormat.WebP] = "x.webp" }, 1, created.AddMinutes(1)));

        var stored = new SqliteJobStore(folder.Path).Get("j1");

        Assert.NotNull(stored);
        Assert.Equal(request.Parameters, stored.Request.Parameters);
        Assert.Equal(EngineKind.Svd, stored.Request.Engine);
        Assert.Equal([OutputFormat.WebP, OutputFormat.Live], stored.Request.Formats);
        Assert.Equal(LoopMode.Crossfade, stored.Request.Loop);
        Assert.Equal("X.zip", stored.Files[OutputFormat.Live]);
        Assert.Equal(created, stored.CreatedAt);
        Assert.Equal(JobState.Succeeded, stored.State);
    }
}
