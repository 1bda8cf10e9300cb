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

/// <summary>
/// The real classic engine's frames handed over while they are still arriving (as the cinematic engine does): the
/// engine returns at once and the frames follow one by one; with <paramref name="failAt"/> the engine breaks there.
/// </summary>
public sealed class ArrivingEngine(int? failAt = null) : IMotionEngine
{
    private readonly ClassicMotionEngine inner = new();

    public string Name => inner.Name;

    public bool IsGenerative => false;

    public async Task<MotionClip> GenerateAsync(MotionRequest request, IProgress<MotionProgress>? progress, CancellationToken cancellationToken)
    {
        var made = (await inner.GenerateAsync(request, null, cancellationToken)).Frames;
        var frames = new TurnLivePhotos.Media.Imaging.ArrivingFrames(made.Count);
        _ = Task.Run(async () =>
        {
            for (var i = 0; i < made.Count; i++)
            {
                await Task.Delay(15, CancellationToken.None);
                if (i == failAt)
                {
                    frames.Fail(new InvalidOperationException($"frame {i} could not be made"));
                    return;
                }

                frames.Set(i, made[i]);
                progress?.Report(new MotionProgress("render", i + 1, made.Count));
            }
        }, CancellationToken.None);
        return new MotionClip(frames, request.Parameters.Fps, Name, IsGenerative: false) { Completion = frames.Completion };
    }
}
