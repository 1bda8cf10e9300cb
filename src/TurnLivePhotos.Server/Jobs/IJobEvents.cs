using System.Threading.Channels;

namespace TurnLivePhotos.Server.Jobs;

/// <summary>
/// Changes of jobs as they happen, for whoever follows one (server-sent events, <c>POST /generate</c> waiting for its
/// GIF, a worker watching for a cancel) and for workers waiting for the queue. Two implementations, one per kind of
/// store: <see cref="BroadcastJobEvents"/> (one process: every change is made here and handed on in memory) and
/// <see cref="Postgres.PostgresJobEvents"/> (several processes: the table's trigger notifies, LISTEN hears it).
/// </summary>
public interface IJobEvents
{
    /// <summary>
    /// A stream of what <paramref name="view"/> makes of each change of the job, starting with its stored row now and
    /// ending with its final state; null when there is no such job.
    /// </summary>
    ChannelReader<T>? Subscribe<T>(string id, Func<JobRecord, T> view);

    /// <summary>Tells the job's followers that this process has just stored a change of it (they get the row as it is now).</summary>
    void Changed(string id);

    /// <summary>Completes at the next change of any job (or after <paramref name="timeout"/>).</summary>
    Task WaitForChangeAsync(TimeSpan timeout, CancellationToken cancellationToken);
}
