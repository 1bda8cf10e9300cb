using TurnLivePhotos.Engine;
using TurnLivePhotos.Engine.Classic;

namespace TurnLivePhotos.Tests.Support;

/// <summary>
/// The real classic engine behind a gate the test opens, so a job can be held "running" while others queue.
/// Only the timing is controlled; the frames are the classic engine's.
/// </summary>
public sealed class GatedEngine : IMotionEngine
{
    private readonly ClassicMotionEngine inner = new();
    private readonly TaskCompletionSource gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int started;

    public string Name => inner.Name;

    public bool IsGenerative => false;

    public int Started => Volatile.Read(ref started);

    public void Open() => gate.TrySetResult();

    public async Task WaitUntilStartedAsync(int count)
    {
        for (var waited = 0; Started < count; waited += 10)
        {
            Assert.True(waited < 20_000, $"the engine did not start {count} job(s)");
            await Task.Delay(10);
        }
    }

    public async Task<MotionClip> GenerateAsync(MotionRequest request, IProgress<MotionProgress>? progress, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref started);
        await gate.Task.WaitAsync(cancellationToken);
        return await inner.GenerateAsync(request, progress, cancellationToken);
    }
}

/// <summary>An engine that fails the way a broken model or an exhausted GPU would.</summary>
public sealed class FailingEngine(Exception failure) : IMotionEngine
{
    public string Name => ClassicMotionEngine.EngineName;

    public bool IsGenerative => false;

    public Task<MotionClip> GenerateAsync(MotionRequest request, IProgress<MotionProgress>? progress, CancellationToken cancellationToken) =>
        Task.FromException<MotionClip>(failure);
}
