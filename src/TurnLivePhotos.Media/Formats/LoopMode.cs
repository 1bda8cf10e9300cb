using System.Numerics.Tensors;
using TurnLivePhotos.Media.Imaging;

namespace TurnLivePhotos.Media.Formats;

/// <summary>How a clip plays around: straight through, there and back, or dissolving back into its first frame.</summary>
public enum LoopMode
{
    Forward,

    /// <summary>Boomerang: last → first → last, so the still (the first frame) sits in the middle, like a phone capture.</summary>
    PingPong,

    /// <summary>The last quarter dissolves into the first frame, so the loop has no jump.</summary>
    Crossfade,
}

/// <summary>A clip arranged for playback, with the index of the frame that shows the still photo.</summary>
public sealed record LoopedClip(IReadOnlyList<RgbImage> Frames, int StillIndex);

public static class LoopSequence
{
    /// <param name="frames">Engine frames; the first one matches the photo. They may still be arriving
    /// (<see cref="IArrivingFrames"/>): the loop reads none of them until its own frames are read.</param>
    public static LoopedClip Build(IReadOnlyList<RgbImage> frames, LoopMode mode)
    {
        ArgumentNullException.ThrowIfNull(frames);
        if (frames.Count == 0)
        {
            throw new ArgumentException("a clip needs at least one frame", nameof(frames));
        }

        return mode switch
        {
            // Last → first → last: frames N−1 … 1, then 0 … N−1.
            LoopMode.PingPong => new LoopedClip(new LoopView(frames, (2 * frames.Count) - 1, i => Math.Abs(i - (frames.Count - 1)), dissolveFrom: (2 * frames.Count) - 1), frames.Count - 1),
            LoopMode.Crossfade => new LoopedClip(new LoopView(frames, frames.Count, i => i, dissolveFrom: frames.Count - (frames.Count / 4)), 0),
            _ => new LoopedClip(frames, 0),
        };
    }

    /// <summary>
    /// A loop's frames as a view of the engine's: each is the engine frame its position maps to, read when it is read
    /// (so a loop over frames still arriving waits only for the frames it plays); from <c>dissolveFrom</c> on, a frame
    /// is blended towards the first, made once and kept.
    /// </summary>
    private sealed class LoopView : IArrivingFrames
    {
        private readonly IReadOnlyList<RgbImage> frames;
        private readonly int count;
        private readonly Func<int, int> source;
        private readonly int dissolveFrom;
        private readonly Lazy<Task<RgbImage>>[] dissolved;
        private readonly Lazy<Task<float[]>> first;

        public LoopView(IReadOnlyList<RgbImage> frames, int count, Func<int, int> source, int dissolveFrom)
        {
            this.frames = frames;
            this.count = count;
            this.source = source;
            this.dissolveFrom = dissolveFrom;
            var tail = count - dissolveFrom;
            first = new Lazy<Task<float[]>>(async () => ToFloats((await frames.FrameAsync(0, CancellationToken.None)).Pixels));
            dissolved = [.. Enumerable.Range(0, Math.Max(0, tail)).Select(j => new Lazy<Task<RgbImage>>(() => Dissolve(source(dissolveFrom + j), (float)(j + 1) / (tail + 1))))];
        }

        public int Count => count;

        public RgbImage this[int index] => WhenReady(index, CancellationToken.None).AsTask().GetAwaiter().GetResult();

        public ValueTask<RgbImage> WhenReady(int index, CancellationToken cancellationToken)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, count);
            return index < dissolveFrom
                ? frames.FrameAsync(source(index), cancellationToken)
                : new ValueTask<RgbImage>(dissolved[index - dissolveFrom].Value.WaitAsync(cancellationToken));
        }

        public IEnumerator<RgbImage> GetEnumerator()
        {
            for (var i = 0; i < count; i++)
            {
                yield return this[i];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        /// <summary>Frame <paramref name="index"/> blended towards the first by <paramref name="weight"/>.</summary>
        private async Task<RgbImage> Dissolve(int index, float weight)
        {
            var frame = await frames.FrameAsync(index, CancellationToken.None);
            var start = await first.Value;
            var blended = ToFloats(frame.Pixels);
            TensorPrimitives.Lerp(blended, start, weight, blended);
            return new RgbImage(frame.Width, frame.Height, ToBytes(blended));
        }
    }

    private static float[] ToFloats(byte[] pixels)
    {
        var values = new float[pixels.Length];
        for (var i = 0; i < pixels.Length; i++)
        {
            values[i] = pixels[i];
        }

        return values;
    }

    private static byte[] ToBytes(float[] values)
    {
        var bytes = new byte[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            bytes[i] = (byte)Math.Clamp(MathF.Round(values[i]), 0, 255);
        }

        return bytes;
    }
}
