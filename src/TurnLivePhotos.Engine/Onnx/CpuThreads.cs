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

    /// <summary>
    /// The run option that hands the CPU arena's free memory back after each run (see <see cref="Options"/>).
    /// </summary>
    public const string ShrinkArenaAfterRun = "memory.enable_memory_arena_shrinkage";

    /// <summary>New session options for CPU work: <see cref="IntraOp"/> threads and ONNX Runtime's memory arena.</summary>
    /// <remarks>
    /// The arena is on, and shrunk after every run (<see cref="ShrinkArenaAfterRun"/> = <c>cpu:0</c>, set by
    /// <see cref="OnnxNetwork.Run"/>). We had it off, because it grows in doubling chunks and keeps them until the
    /// session ends; but then every activation is a fresh allocation, and a tensor above glibc's 32 MB mmap limit is
    /// fresh pages from the kernel on every node: on this virtual machine, where a page fault is expensive, ONNX
    /// Runtime's profile of the VAE encoder at 512×320 showed Add, Mul, SiLU and the NCHWc reorders — memory-bound
    /// ops — taking 30–40× longer than with the arena (Add 8.1 s → 0.20 s, the whole encoder 59.8 s → 14.8 s of
    /// kernel time). With the arena, a run's activations are faulted in once and reused node to node; shrinking
    /// after the run returns them, so between runs (and across low-memory mode's stages) memory is what it was.
    /// The memory pattern (one block planned for all of a run's activations) is off: at 1024×576 × 25 frames the
    /// planned block made the UNet's anonymous memory 11.3 GB, where tensor-by-tensor reuse in the arena follows what
    /// is alive; at 2 frames both gave the same peak (6.4 GB) and the same time.
    /// Kernels do not pre-pack their weights (<see cref="DisablePrepacking"/>): MatMul and Gemm would otherwise copy
    /// every constant weight into MLAS's packed layout when the session starts. For the full-size UNet that packing
    /// was 12 of the 14 s a session took to open from its cached optimized graph (the 3 s warm-start target), and it
    /// bought nothing: one 512×320 × 14-frame UNet evaluation took 39.50 s with pre-packed weights and 39.69 s
    /// without, at the same peak RSS (7.17 GB) — at our sizes a GEMM's rows (frames × tokens) are thousands, so
    /// packing a weight block per call costs a thousandth of the multiply. Rejected: saving the packed copies in
    /// the graph cache (<c>session.save_external_prepacked_constant_initializers</c>; ONNX Runtime 1.31 still
    /// packs on load, and each entry grew by 2.5 GB).
    /// </remarks>
    public static SessionOptions Options()
    {
        var options = new SessionOptions { IntraOpNumThreads = IntraOp, EnableCpuMemArena = true, EnableMemoryPattern = false };
        options.AddSessionConfigEntry(DisablePrepacking, "1");
        return options;
    }

    /// <summary>The session config entry that keeps kernels from copying their weights into a packed layout at start.</summary>
    public const string DisablePrepacking = "session.disable_prepacking";

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
