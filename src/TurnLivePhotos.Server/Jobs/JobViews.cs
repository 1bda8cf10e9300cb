using TurnLivePhotos.Server.Web;

namespace TurnLivePhotos.Server.Jobs;

/// <summary>How a job looks from outside: state, queue position, stage and step, percent, ETA, file links.</summary>
public static class JobViews
{
    /// <param name="queuePosition">1 for the next job to start, when queued.</param>
    public static JobView Of(JobRecord record, int? queuePosition)
    {
        ArgumentNullException.ThrowIfNull(record);
        var progress = record.State == JobState.Running ? record.Progress : null;
        double? percent = record.State switch
        {
            JobState.Succeeded => 100,
            JobState.Running => Math.Round(100 * (progress?.OverallFraction ?? 0), 1),
            _ => null,
        };

        var self = $"/api/v1/jobs/{record.Id}";
        return new JobView(
            record.Id,
            record.State,
            record.CreatedAt,
            record.State == JobState.Queued ? queuePosition : null,
            progress?.Stage,
            progress?.Step,
            progress?.TotalSteps,
            percent,
            record.State == JobState.Running ? EtaSeconds(record.StartedAt, progress) : null,
            record.Message is { } message ? ClientText.Detail(message, ClientText.MaxJobMessage) : null,
            record.Files.ToDictionary(f => FormatName(f.Key), f => $"{self}/files/{FormatName(f.Key)}"),
            new JobLinks(self, $"{self}/events"))
        {
            PhotoName = record.PhotoName,
            InterpolationNote = record.State == JobState.Succeeded && record.InterpolationNote is { } note ? ClientText.Detail(note, ClientText.MaxJobMessage) : null,
        };
    }

    /// <summary>A format's name in URLs and in a view's files: live, motion, mp4, gif, webp.</summary>
    public static string FormatName(TurnLivePhotos.Media.Formats.OutputFormat format) => TurnLivePhotos.Media.Formats.OutputFormatNames.Of(format);

    /// <summary>Time left, from the time taken so far and the share done; none until 2 % is done (too noisy before).</summary>
    private static double? EtaSeconds(DateTimeOffset? startedAt, TurnLivePhotos.Engine.MotionProgress? progress)
    {
        if (startedAt is not { } started || progress is not { OverallFraction: > 0.02 })
        {
            return null;
        }

        var elapsed = (DateTimeOffset.UtcNow - started).TotalSeconds;
        return Math.Round(elapsed / progress.OverallFraction * (1 - progress.OverallFraction), 1);
    }
}
