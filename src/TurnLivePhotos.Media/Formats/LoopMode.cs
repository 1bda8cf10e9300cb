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
    /// <param name="frames">Engine frames; the first one matches the photo.</param>
    public static LoopedClip Build(IReadOnlyList<RgbImage> frames, LoopMode mode)
    {
        ArgumentNullException.ThrowIfNull(frames);
        if (frames.Count == 0)
        {
            throw new ArgumentException("a clip needs at least one frame", nameof(frames));
        }

        return mode switch
        {
            LoopMode.PingPong => new LoopedClip([.. frames.Skip(1).Reverse(), .. frames], frames.Count - 1),
            LoopMode.Crossfade => new LoopedClip(DissolveTail(frames), 0),
            _ => new LoopedClip(frames, 0),
        };
    }

    private static List<RgbImage> DissolveTail(IReadOnlyList<RgbImage> frames)
    {
        var result = frames.ToList();
        var tail = frames.Count / 4;
        var first = ToFloats(frames[0].Pixels);
        for (var j = 0; j < tail; j++)
        {
            var index = frames.Count - tail + j;
            var weight = (float)(j + 1) / (tail + 1);
            var blended = ToFloats(frames[index].Pixels);
            TensorPrimitives.Lerp(blended, first, weight, blended);
            result[index] = new RgbImage(frames[index].Width, frames[index].Height, ToBytes(blended));
        }

        return result;
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
