namespace TurnLivePhotos.Media.Decoding;

/// <summary>
/// How large a photo may be decoded: its pixel count and its longest side, each checked from the header before any
/// pixel is allocated (<see cref="PhotoDecoder"/>), and mirrored in ImageMagick's own limits
/// (<see cref="ImageMagickLimits"/>) so that a header that lies cannot make the decoder allocate more.
/// </summary>
/// <param name="MaxPixels">Width × height at most.</param>
/// <param name="MaxSidePixels">Width and height each at most.</param>
public sealed record DecodeBudget(long MaxPixels, int MaxSidePixels)
{
    /// <summary>
    /// 64 MP: the 48-50 MP of current phone main cameras fit; Samsung's 108 and 200 MP modes do not, since a photo
    /// that size alone would take the server past its promise of staying under 1.5 GB for any one upload.
    /// </summary>
    public const int DefaultMaxMegapixels = 64;

    /// <summary>16384 px: the longest side of a 200 MP sensor (16320) and WebP's format limit.</summary>
    public const int DefaultMaxSidePixels = 16384;

    public static DecodeBudget Default { get; } = new(DefaultMaxMegapixels * 1_000_000L, DefaultMaxSidePixels);

    /// <exception cref="PhotoTooLargeException">The product or a side is above the budget (the product is named first).</exception>
    public void Check(long width, long height)
    {
        var pixels = width * height;
        if (pixels > MaxPixels)
        {
            throw new PhotoTooLargeException(
                $"the image is {width}x{height} ({pixels / 1e6:0.#} megapixels), above the limit of {MaxPixels / 1e6:0.#} megapixels");
        }

        if (Math.Max(width, height) > MaxSidePixels)
        {
            throw new PhotoTooLargeException(
                $"the image is {width}x{height}, its {(width >= height ? "width" : "height")} is above the limit of {MaxSidePixels} pixels a side");
        }
    }
}
