using TurnLivePhotos.Media.Imaging;

namespace TurnLivePhotos.Media.Colour;

/// <summary>
/// Display P3 frames seen as sRGB: each frame converted when first read, once, and shared by every writer that reads
/// it (the MP4, GIF and WebP); frames still being made are awaited as <see cref="ArrivingFrames"/> describes.
/// </summary>
public sealed class SrgbFrames : IArrivingFrames
{
    private readonly IReadOnlyList<RgbImage> frames;
    private readonly Lazy<Task<RgbImage>>[] converted;

    public SrgbFrames(IReadOnlyList<RgbImage> displayP3Frames)
    {
        frames = displayP3Frames ?? throw new ArgumentNullException(nameof(displayP3Frames));
        converted = [.. Enumerable.Range(0, frames.Count).Select(i => new Lazy<Task<RgbImage>>(() => ConvertAsync(i)))];
    }

    public int Count => converted.Length;

    public RgbImage this[int index] => WhenReady(index, CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public ValueTask<RgbImage> WhenReady(int index, CancellationToken cancellationToken) =>
        new(converted[index].Value.WaitAsync(cancellationToken));

    public IEnumerator<RgbImage> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    private async Task<RgbImage> ConvertAsync(int index) => DisplayP3ToSrgb.Convert(await frames.FrameAsync(index, CancellationToken.None));
}
