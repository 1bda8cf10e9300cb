using TurnLivePhotos.Engine.Onnx;
using TurnLivePhotos.Engine.Svd;

namespace TurnLivePhotos.Tests.Support;

/// <summary>
/// Replays the random draws a reference run recorded, in order, instead of the engine's generator. Each request
/// must ask for exactly as many values as the recorded draw holds, so a pipeline that draws in another order or
/// another size fails here rather than comparing against the wrong numbers.
/// </summary>
public sealed class RecordedNoise(IEnumerable<FloatTensor> draws) : INoiseSource
{
    private readonly Queue<FloatTensor> remaining = new(draws);

    public int Used { get; private set; }

    public int Remaining => remaining.Count;

    public float[] Next(long count)
    {
        Assert.True(remaining.Count > 0, $"draw {Used + 1} ({count} values) was asked for, but only {Used} were recorded");
        var draw = remaining.Dequeue();
        Assert.True(draw.Data.Length == count, $"draw {Used + 1} asked for {count} values; the recorded draw has {draw.Data.Length} ({draw.ShapeText})");
        Used++;
        return draw.Data.ToArray();
    }
}
