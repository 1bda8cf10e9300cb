using Microsoft.Extensions.Logging;
using TurnLivePhotos.Core.Conversion;

namespace TurnLivePhotos.Server.Jobs;

/// <summary>The one mapping from how a run ended to the job's last record (<see cref="JobWorker"/>).</summary>
public static class JobOutcome
{
    /// <param name="canceledByUser">Someone canceled the job (else a cancellation means the process is stopping).</param>
    public static JobRecord Of(JobRecord record, Task<ConversionResult> run, bool canceledByUser, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(run);
        if (run.IsCanceled && !canceledByUser)
        {
            // The process is shutting down, not the person cancelling: the job runs again (after the restart, or on another worker).
            return record with { State = JobState.Queued };
        }

        if (run.IsCanceled || canceledByUser)
        {
            return Finished(record, JobState.Canceled, "canceled");
        }

        if (run.IsFaulted)
        {
            var error = run.Exception!.GetBaseException();
            if (error is JobTimedOutException)
            {
                // Not a fault of the server's: the limit is a setting, and the message names it.
                return Finished(record, JobState.Failed, error.Message) with { Failure = FailureKind.Internal };
            }

            var failure = ConversionFailure.Of(error);
            if (failure.Kind == FailureKind.Internal)
            {
                logger.LogError(error, "Job {Job} failed", record.Id);
            }
            else
            {
                logger.LogWarning("Job {Job} failed: {Reason}", record.Id, failure.Message);
            }

            return Finished(record, JobState.Failed, failure.Message) with { Failure = failure.Kind };
        }

        var result = run.Result;
        var failures = result.Failures.Count == 0 ? null : string.Join("; ", result.Failures.Values);
        // Metadata left out of the still is not a failure, but the person is told, as the CLI tells them.
        var notes = result.MetadataNotes.Count == 0 ? null : "left out of the still: " + string.Join("; ", result.MetadataNotes);
        var message = failures is null ? notes : notes is null ? failures : $"{failures}; {notes}";
        return Finished(record, failures is null ? JobState.Succeeded : JobState.Failed, message) with
        {
            Files = JobFiles.Downloads(result),
            EngineName = result.EngineName,
            Failure = failures is null ? null : FailureKind.Internal,
            InterpolationNote = result.InterpolationNote,
        };
    }

    public static JobRecord Finished(JobRecord record, JobState state, string? message)
    {
        ArgumentNullException.ThrowIfNull(record);
        return record with { State = state, Message = message, FinishedAt = DateTimeOffset.UtcNow };
    }
}
