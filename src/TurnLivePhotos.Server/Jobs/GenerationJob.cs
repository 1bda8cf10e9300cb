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

    public Task<ConversionResult> Completion => CompletionSource.Task;

    internal TaskCompletionSource<ConversionResult> CompletionSource { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal bool TryStart() => Interlocked.CompareExchange(ref state, Running, Queued) == Queued;

    internal bool TryDrop() => Interlocked.CompareExchange(ref state, Dropped, Queued) == Queued;
}
