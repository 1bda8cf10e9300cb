using TurnLivePhotos.Engine.Onnx;

namespace TurnLivePhotos.Tests.Svd;

/// <summary>The CPU sessions' thread count comes from the cores the kernel lists, hyperthreads counted once.</summary>
public sealed class CpuThreadsTests
{
    private static string Cpuinfo(params (int Processor, int? Package, int? Core)[] processors) => string.Join("\n\n", processors.Select(p =>
        string.Join('\n', new[]
        {
            $"processor\t: {p.Processor}",
            "vendor_id\t: AuthenticAMD",
            p.Package is { } package ? $"physical id\t: {package}" : null,
            p.Core is { } core ? $"core id\t\t: {core}" : null,
            "flags\t\t: fpu avx2 avx512f",
        }.OfType<string>()))) + "\n\n";

    [Fact]
    public void Two_cores_of_one_thread_each_are_two_cores()
    {
        Assert.Equal(2, CpuThreads.PhysicalCores(Cpuinfo((0, 0, 0), (1, 0, 1))));
    }

    [Fact]
    public void Hyperthreads_of_one_core_count_once()
    {
        Assert.Equal(2, CpuThreads.PhysicalCores(Cpuinfo((0, 0, 0), (1, 0, 1), (2, 0, 0), (3, 0, 1))));
    }

    [Fact]
    public void Cores_of_the_same_number_in_two_packages_are_different_cores()
    {
        Assert.Equal(4, CpuThreads.PhysicalCores(Cpuinfo((0, 0, 0), (1, 0, 1), (2, 1, 0), (3, 1, 1))));
    }

    [Fact]
    public void Processors_without_core_ids_are_a_core_each_and_no_processor_is_no_answer()
    {
        Assert.Equal(3, CpuThreads.PhysicalCores(Cpuinfo((0, null, null), (1, null, null), (2, null, null))));
        Assert.Null(CpuThreads.PhysicalCores("Hardware\t: BCM2835\n"));
    }

    [Fact]
    public void On_linux_the_sessions_ask_for_every_listed_core_this_process_may_use()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Equal(0, CpuThreads.IntraOp); // ONNX Runtime's own choice
            return;
        }

        var listed = CpuThreads.PhysicalCores(File.ReadAllText("/proc/cpuinfo"));
        Assert.Equal(listed is { } cores ? Math.Clamp(cores, 1, Environment.ProcessorCount) : 0, CpuThreads.IntraOp);
        using var options = CpuThreads.Options();
        Assert.Equal(CpuThreads.IntraOp, options.IntraOpNumThreads);
    }
}
