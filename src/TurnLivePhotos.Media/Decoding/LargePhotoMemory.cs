using System.Runtime;
using System.Runtime.InteropServices;

namespace TurnLivePhotos.Media.Decoding;

/// <summary>
/// Gives a large conversion's memory back once it is done. Its photo, frames and encoded outputs are hundreds of
/// megabytes: on the managed side large-object heap that the GC keeps until a full collection it sees no reason to
/// run, on the native side (ImageMagick's pixel caches, libwebp) blocks that glibc's malloc keeps in its arenas after
/// they are freed. A server would then start the next upload with the last one's memory still held, and two large
/// uploads in a row would add up. One compacting collection and a malloc_trim (glibc, malloc(3)) after such a
/// conversion return both, so each upload starts from a small process.
/// </summary>
public static class LargePhotoMemory
{
    /// <summary>From this many pixels held (photo and frames) on, a full collection is worth its few milliseconds (48 MB of RGB).</summary>
    public const long LargePixels = 16_000_000;

    public static void ReleaseAfter(long pixelsHeld)
    {
        if (pixelsHeld < LargePixels)
        {
            return;
        }

        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        if (OperatingSystem.IsLinux())
        {
            try
            {
                _ = MallocTrim(0);
            }
            catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
            {
                // Not glibc (musl has no malloc_trim): its allocator returns memory its own way.
            }
        }
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
