using ImageMagick;

namespace TurnLivePhotos.Media.Decoding;

/// <summary>
/// ImageMagick's process-wide resource limits, set from the <see cref="DecodeBudget"/> once at start-up (and to the
/// default budget before the first decode), so that a decoder which finds more pixels than its header declared is
/// stopped by the library itself. The header check in <see cref="PhotoDecoder"/> refuses first; these are the
/// backstop. ImageMagick also hands width × height limit to libheif as its image-size limit and the largest memory
/// request as libheif's largest block (coders/heic.c), which bounds a HEIF grid whose tiles outgrow its ispe.
/// </summary>
public static class ImageMagickLimits
{
    /// <summary>Bytes one pixel takes in the Q8 pixel cache with alpha (R, G, B, A).</summary>
    private const ulong CacheBytesPerPixel = 4;

    /// <summary>Full-size images in memory at once: the decoded photo, an orientation or colour-space copy, the re-encoded still.</summary>
    private const ulong ImagesInMemory = 3;

    /// <summary>Full-size images that may spill to disk when memory is taken (concurrent jobs, animated WebP frames).</summary>
    private const ulong DiskImages = 16;

    private static readonly Lock Gate = new();

    /// <summary>The budget last applied; the side limit for callers that give only a pixel count.</summary>
    public static DecodeBudget Current { get; private set; } = Applied(DecodeBudget.Default);

    /// <summary>Makes sure the limits are in force (the default budget when nothing was applied yet).</summary>
    public static void EnsureApplied() => _ = Current;

    /// <summary>
    /// Width and Height: the side limit. Area: the pixel limit (a larger image is not kept in memory). Memory: the
    /// pixel caches of <see cref="ImagesInMemory"/> full-size images; beyond it ImageMagick caches on disk (slower,
    /// but the process stays small while several jobs or output frames hold images), up to Disk, then fails.
    /// MaxMemoryRequest: one full-size 16-bit RGBA plane. Time is left unlimited:
    /// ImageMagick counts it from the first pixel-cache use of the process and then aborts the whole process
    /// (MagickCore/cache.c, a fatal exception), which would end a server; jobs have their own wall-clock limit.
    /// </summary>
    public static void Apply(DecodeBudget budget)
    {
        ArgumentNullException.ThrowIfNull(budget);
        lock (Gate)
        {
            Current = Applied(budget);
        }
    }

    private static DecodeBudget Applied(DecodeBudget budget)
    {
        var pixels = (ulong)budget.MaxPixels;
        ResourceLimits.Width = (ulong)budget.MaxSidePixels;
        ResourceLimits.Height = (ulong)budget.MaxSidePixels;
        ResourceLimits.Area = pixels;
        ResourceLimits.Memory = pixels * CacheBytesPerPixel * ImagesInMemory;
        ResourceLimits.Disk = pixels * CacheBytesPerPixel * DiskImages;
        ResourceLimits.MaxMemoryRequest = pixels * 8;
        return budget;
    }
}
