using System.Runtime.InteropServices;

namespace TurnLivePhotos.Engine.Onnx;

/// <summary>Gives the native heap's free pages back to the operating system after a large network is released.</summary>
/// <remarks>
/// ONNX Runtime allocates weights and activations through malloc. glibc serves allocations below its dynamic
/// mmap threshold (up to 32 MB) from its heaps and keeps freed chunks there, so disposing a session leaves its
/// memory counted in the process's RSS: measured on the full-size model at 1024×576, 7.4 GB stayed resident
/// after the UNet was released and the VAE decoder's own allocations came on top (12.6 GB peak). malloc_trim(0)
/// releases the free pages of every heap. Elsewhere (other C libraries, Windows, macOS) this is a no-op.
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
