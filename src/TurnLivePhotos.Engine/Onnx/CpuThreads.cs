using Microsoft.ML.OnnxRuntime;

namespace TurnLivePhotos.Engine.Onnx;

/// <summary>
/// How many threads ONNX Runtime computes one operator with on the CPU: every physical core this process may use.
/// </summary>
/// <remarks>
/// ONNX Runtime's own default (intra-op threads = 0) asks the cpuinfo library for the physical core count, which
/// reads the CPU's topology leaves. Virtual machines report those as they please: on our 2-core build machine
/// (Firecracker, AMD EPYC; the kernel lists 2 cores of 1 thread each) it came to one core, so every network ran on
/// one thread with the second core idle — the 25-frame UNet step sat at a load of 1.00 for its whole run, and the
/// depth network took 0.97 s of CPU for 0.99 s of wall time. On Linux we count the cores the kernel lists instead
/// (distinct physical id / core id pairs of /proc/cpuinfo: hyperthreads of one core count once, as ONNX Runtime
/// intends), capped by what .NET says this process may use (affinity, container CPU limits). Elsewhere ONNX Runtime's
/// default stands: Windows and macOS report their topology themselves. Rejected: the logical processor count
/// everywhere (on an SMT desktop two threads per core fight over one core's vector units for GEMM-bound work).
/// </remarks>
public static class CpuThreads
{
    /// <summary>The intra-op thread count to ask for, or 0 for ONNX Runtime's own choice.</summary>
    public static int IntraOp { get; } = Detect();

    /// <summary>New session options for CPU work, with <see cref="IntraOp"/> threads.</summary>
    public static SessionOptions Options(bool memoryArena = true) => new() { IntraOpNumThreads = IntraOp, EnableCpuMemArena = memoryArena };

    private static int Detect()
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }

        try
        {
            return PhysicalCores(File.ReadAllText("/proc/cpuinfo")) is { } cores ? Math.Clamp(cores, 1, Environment.ProcessorCount) : 0;
        }
        catch (IOException)
        {
            return 0;
        }
        catch (UnauthorizedAccessException)
        {
            return 0;
        }
    }

    /// <summary>The distinct (physical id, core id) pairs of a /proc/cpuinfo text; null when it lists neither.</summary>
    public static int? PhysicalCores(string cpuinfo)
    {
        ArgumentNullException.ThrowIfNull(cpuinfo);
        var cores = new HashSet<(string Package, string Core)>();
        var processors = 0;
        foreach (var block in cpuinfo.Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string? package = null;
            string? core = null;
            foreach (var line in block.Split('\n'))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon < 0)
                {
                    continue;
                }

                switch (line[..colon].Trim())
                {
                    case "processor":
                        processors++;
                        break;
                    case "physical id":
                        package = line[(colon + 1)..].Trim();
                        break;
                    case "core id":
                        core = line[(colon + 1)..].Trim();
                        break;
                }
            }

            if (core is not null)
            {
                cores.Add((package ?? "0", core));
            }
        }

        // ARM kernels list processors without core ids: each processor is then a core of its own.
        return cores.Count > 0 ? cores.Count : processors > 0 ? processors : null;
    }
}
