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
        return new MotionClip(frames, request.Clip.Fps, Name, IsGenerative: false) { Completion = frames.Completion };
    }
}

/// <summary>
/// The real classic engine whose first <paramref name="stuckJobs"/> clips hang in the writing stage the way a looping
/// metadata parser does: the first read of a frame by a writer blocks the writer's thread, deaf to every cancellation
/// token, until the test calls <see cref="Release"/>. Later jobs get the classic frames untouched.
/// </summary>
public sealed class StuckWritingEngine(int stuckJobs = 1) : IMotionEngine, IDisposable
{
    private readonly ClassicMotionEngine inner = new();
    private readonly TaskCompletionSource released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource writing = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int started;

    public string Name => inner.Name;

    public bool IsGenerative => false;

    /// <summary>Completes when a writer is stuck on a frame.</summary>
    public Task Writing => writing.Task;

    /// <summary>Lets the stuck writers go on (at the end of a test, so no thread stays blocked).</summary>
    public void Release() => released.TrySetResult();

    public void Dispose() => Release();

    public async Task<MotionClip> GenerateAsync(MotionRequest request, IProgress<MotionProgress>? progress, CancellationToken cancellationToken)
    {
        var clip = await inner.GenerateAsync(request, progress, cancellationToken);
        return Interlocked.Increment(ref started) <= stuckJobs ? clip with { Frames = new StuckFrames(clip.Frames, this) } : clip;
    }

    private sealed class StuckFrames(IReadOnlyList<TurnLivePhotos.Media.Imaging.RgbImage> frames, StuckWritingEngine owner) : IReadOnlyList<TurnLivePhotos.Media.Imaging.RgbImage>
    {
        public int Count => frames.Count;

        public TurnLivePhotos.Media.Imaging.RgbImage this[int index]
        {
            get
            {
                owner.writing.TrySetResult();
                owner.released.Task.GetAwaiter().GetResult();
                return frames[index];
            }
        }

        public IEnumerator<TurnLivePhotos.Media.Imaging.RgbImage> GetEnumerator() => Enumerable.Range(0, Count).Select(i => this[i]).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}

/// <summary>
/// A stand-in for a video model: a generative engine whose clip is short and slow (the request's frames at its fps,
/// 7–8 fps like SVD), each frame the photo's pattern shifted a little more, so RIFE has motion to fill.
/// </summary>
public sealed class ShortAiClipEngine : IMotionEngine
{
    public string Name => "short-ai";

    public bool IsGenerative => true;

    public Task<MotionClip> GenerateAsync(MotionRequest request, IProgress<MotionProgress>? progress, CancellationToken cancellationToken)
    {
        var photo = request.Photo;
        var frames = new List<TurnLivePhotos.Media.Imaging.RgbImage>();
        for (var k = 0; k < request.Clip.Frames; k++)
        {
            var pixels = new byte[photo.Pixels.Length];
            for (var y = 0; y < photo.Height; y++)
            {
                for (var x = 0; x < photo.Width; x++)
                {
                    var from = ((y * photo.Width) + Math.Min(photo.Width - 1, x + k)) * 3;
                    Array.Copy(photo.Pixels, from, pixels, ((y * photo.Width) + x) * 3, 3);
                }
            }

            frames.Add(new TurnLivePhotos.Media.Imaging.RgbImage(photo.Width, photo.Height, pixels));
        }

        return Task.FromResult(new MotionClip(frames, request.Clip.Fps, Name, IsGenerative: true));
    }
}
