using TurnLivePhotos.Core.Conversion;

namespace TurnLivePhotos.Server.Jobs;

/// <summary>One queued conversion. A job whose client goes away while it waits is dropped without running.</summary>
public sealed class GenerationJob
{
    private const int Queued = 0;
    private const int Running = 1;
    private const int Dropped = 2;

    private int state = Queued;

    public GenerationJob(ConversionRequest request, CancellationToken clientAborted)
    {
        Request = request;
        ClientAborted = clientAborted;
    }

    public string Id { get; } = Guid.NewGuid().ToString("N");

    public ConversionRequest Request { get; }

    public CancellationToken ClientAborted { get; }

    public EngineChoice? Engine { get; internal set; }

    /// <summary>Receives the engine's progress events, if anyone listens.</summary>
    public IProgress<TurnLivePhotos.Engine.MotionProgress>? Progress { get; init; }

    /// <summary>Called when the job leaves the queue and starts running.</summary>
    public Action? OnStarted { get; init; }

    public Task<ConversionResult> Completion => CompletionSource.Task;

    internal TaskCompletionSource<ConversionResult> CompletionSource { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal bool TryStart() => Interlocked.CompareExchange(ref state, Running, Queued) == Queued;

    internal bool TryDrop() => Interlocked.CompareExchange(ref state, Dropped, Queued) == Queued;
}
