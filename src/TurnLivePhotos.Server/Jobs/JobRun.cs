using Microsoft.Extensions.Logging;
using TurnLivePhotos.Core.Conversion;

namespace TurnLivePhotos.Server.Jobs;

/// <summary>The job ran past <c>[WebOptions] JobTimeoutMinutes</c>; its message is the one the job keeps.</summary>
public sealed class JobTimedOutException(TimeSpan limit)
    : Exception($"the job ran longer than its limit of {FormatLimit(limit)} ([WebOptions] JobTimeoutMinutes) and was stopped")
{
    public TimeSpan Limit { get; } = limit;

    private static string FormatLimit(TimeSpan limit) => limit >= TimeSpan.FromMinutes(1)
        ? FormattableString.Invariant($"{limit.TotalMinutes:0.##} min")
        : FormattableString.Invariant($"{limit.TotalSeconds:0.#} s");
}

/// <summary>
/// One run of a job under its bounds (<see cref="JobWorker"/>):
/// its token is cancelled by a cancel, by the process stopping, or by the wall-clock limit, whichever comes first, and
/// the worker waits for the run only until then. A stage that ignores the token (a parser looping inside a writer)
/// cannot hold the queue: the job ends as cancelled or failed at once, the run is given a short grace to unwind, and
/// after that it is left to finish on its own (logged) while the next job starts. Only such a stage can then overlap
/// the next job; the engines honour the token (ONNX Runtime's run is terminated between two nodes), so a GPU is not
/// shared that way.
/// </summary>
public sealed class JobRun : IDisposable
{
    /// <summary>How long the next job waits for a cancelled run to unwind before it starts anyway.</summary>
    public static readonly TimeSpan UnwindGrace = TimeSpan.FromSeconds(1);

    private readonly CancellationTokenSource deadline;
    private readonly CancellationTokenSource stops;
    private readonly TimeSpan limit;
    private readonly CancellationToken canceled;
    private readonly CancellationToken stopping;
    private Task<ConversionResult>? started;

    /// <param name="limit">The job's wall-clock limit.</param>
    /// <param name="canceled">A cancel of this job (by its owner, or its client leaving).</param>
    /// <param name="stopping">The process stopping (the job is then given back, not failed).</param>
    public JobRun(TimeSpan limit, CancellationToken canceled, CancellationToken stopping)
    {
        this.limit = limit;
        this.canceled = canceled;
        this.stopping = stopping;
        deadline = new CancellationTokenSource(limit);
        stops = CancellationTokenSource.CreateLinkedTokenSource(canceled, stopping, deadline.Token);
    }

    /// <summary>The token every stage of the run is given.</summary>
    public CancellationToken Token => stops.Token;

    /// <summary>
    /// Starts <paramref name="convert"/> on the thread pool with <see cref="Token"/> (the decode and an engine's first
    /// steps run before a conversion first yields, and the caller must be free to stop waiting for them) and returns its
    /// result, or as soon as <see cref="Token"/> is cancelled: <see cref="JobTimedOutException"/> when the limit
    /// passed, else <see cref="OperationCanceledException"/> — whether or not the run has ended.
    /// </summary>
    public async Task<ConversionResult> RunAsync(Func<CancellationToken, Task<ConversionResult>> convert)
    {
        ArgumentNullException.ThrowIfNull(convert);
        started = Task.Run(() => convert(Token), CancellationToken.None);
        try
        {
            return await started.WaitAsync(Token);
        }
        catch (OperationCanceledException) when (Token.IsCancellationRequested)
        {
            // A cancel or a stop that came first keeps its meaning even if the deadline passed meanwhile.
            if (deadline.IsCancellationRequested && !StoppedOtherwise())
            {
                throw new JobTimedOutException(limit);
            }

            throw;
        }
    }

    /// <summary>
    /// After the job has ended: waits up to <see cref="UnwindGrace"/> for a run that was stopped, then leaves it
    /// (logged when it finally ends). Nothing to wait for when no run was started.
    /// </summary>
    public async Task LetUnwindAsync(string jobId, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        if (started is not { IsCompleted: false } run)
        {
            return;
        }

        await Task.WhenAny(run, Task.Delay(UnwindGrace));
        if (run.IsCompleted)
        {
            return;
        }

        logger.LogWarning("Job {Job}: a stage ignores its cancellation and is still running; the queue moves on without it", jobId);
        _ = run.ContinueWith(
            ended => logger.LogWarning("Job {Job}: the stage left running after its cancel has ended ({Status}{Reason})", jobId, ended.Status, ended.Exception is { } error ? ": " + error.GetBaseException().Message : string.Empty),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public void Dispose()
    {
        stops.Dispose();
        deadline.Dispose();
    }

    private bool StoppedOtherwise() => canceled.IsCancellationRequested || stopping.IsCancellationRequested;
}
