using Microsoft.ML.OnnxRuntime;

namespace TurnLivePhotos.Engine.Onnx;

/// <summary>
/// How many threads ONNX Runtime computes one operator with on the CPU: every physical core this process may use.
/// </summary>
/// <remarks>
/// ONNX Runtime's own default (intra-op threads = 0) asks the cpuinfo library for the physical core count from the
/// CPU's topology leaves, which virtual machines may report wrongly (one core where the kernel lists several), leaving
/// cores idle. On Linux we count the cores the kernel lists instead (distinct physical id / core id pairs of
/// /proc/cpuinfo: hyperthreads of one core count once, as ONNX Runtime intends), capped by what .NET says this process
/// may use (affinity, container CPU limits); elsewhere ONNX Runtime's default stands. Rejected: the logical processor
/// count (two SMT threads fight over one core's vector units in GEMM-bound work). See docs/decisions/0004-onnx-runtime-cpu-sessions.md.
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
    /// The arena is on and shrunk after every run (<see cref="ShrinkArenaAfterRun"/> = <c>cpu:0</c>, set by
    /// <see cref="OnnxNetwork.Run"/>): without it every activation above glibc's mmap threshold (malloc.c,
    /// DEFAULT_MMAP_THRESHOLD_MAX) is fresh pages from the kernel on every node, which makes memory-bound ops many
    /// times slower; with it a run's activations are faulted in once and reused, and shrinking returns them between
    /// runs and stages. The memory pattern (one block planned for a whole run) is off: tensor-by-tensor reuse in the
    /// arena follows what is alive and peaks lower on long clips. Kernels do not pre-pack their weights
    /// (<see cref="DisablePrepacking"/>): packing copies every MatMul/Gemm weight into MLAS's layout at session start,
    /// most of a warm start's time, and buys nothing at our GEMM sizes (thousands of rows). Rejected: saving the
    /// packed copies in the graph cache (<c>session.save_external_prepacked_constant_initializers</c>; ONNX Runtime
    /// still packs on load). Figures in docs/benchmarks.md; reasoning in docs/decisions/0004-onnx-runtime-cpu-sessions.md.
    /// </remarks>
    public static SessionOptions Options()
    {
        var options = new SessionOptions { IntraOpNumThreads = IntraOp, EnableCpuMemArena = true, EnableMemoryPattern = false };
        options.AddSessionConfigEntry(DisablePrepacking, "1");
        return options;
    }

    /// <summary>
    /// Options for a small network run many times in a row on frames of one size (RIFE, frame after frame): those of
    /// <see cref="Options"/>, but the pool's threads sleep between kernels instead of spinning. A spinning worker holds a
    /// core through every single-threaded kernel (copies, GridSample's sampling plan), which on two cores the caller's
    /// thread then waits for. Pair it with <c>OnnxNetwork.Create(…, shrinkArenaAfterRun: false)</c>: the next frame reuses
    /// the arena's pages instead of faulting them in again. Figures in docs/benchmarks.md.
    /// </summary>
    public static SessionOptions RepeatedRunOptions()
    {
        var options = Options();
        options.AddSessionConfigEntry(AllowSpinning, "0");
        return options;
    }

    /// <summary>The session config entry that lets the intra-op threads spin while they wait for work ("0" makes them sleep).</summary>
    public const string AllowSpinning = "session.intra_op.allow_spinning";

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
