using System.Runtime.InteropServices;

namespace TurnLivePhotos.Engine.Onnx;

/// <summary>Gives the native heap's free pages back to the operating system after a large network is released.</summary>
/// <remarks>
/// ONNX Runtime allocates weights and activations through malloc. glibc serves allocations below its dynamic
/// mmap threshold (malloc.c, DEFAULT_MMAP_THRESHOLD_MAX) from its heaps and keeps freed chunks there, so a disposed
/// session's memory stays in the process's RSS and the next network's allocations come on top of it (figures in
/// docs/benchmarks.md). malloc_trim(0) releases the free pages of every heap. Elsewhere (other C libraries,
/// Windows, macOS) this is a no-op.
/// </remarks>
public static partial class NativeHeap
{
    private static bool unavailable = !OperatingSystem.IsLinux();

    public static void ReturnFreeMemory()
    {
        if (unavailable)
        {
            return;
        }

        try
        {
            _ = MallocTrim(0);
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            unavailable = true;
        }
    }

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);
}
