using TurnLivePhotos.Engine.Svd;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Cli;

/// <summary>The Python tool's command-line flags: all listed by --help, and --max-split-size-mb wired to the CUDA arena.</summary>
public sealed class PythonToolFlagsTests
{
    [Fact]
    public async Task Help_lists_every_flag_of_the_seeds_command_line()
    {
        using var folder = new TempFolder();

        var (exit, output, _) = await CliProcess.RunAsync(folder.Path, null, "--help");

        Assert.Equal(0, exit);
        var flags = output.Select(line => line.TrimStart().Split(' ', ',')[0]).ToHashSet();
        foreach (var flag in new[] { "--host", "--port", "--output-temp", "--progress-bar", "--logging-level", "--ngrok", "--ngrok-authtoken", "--max-split-size-mb", "--tunnel", "--config", "--set" })
        {
            Assert.Contains(flag, flags);
        }
    }

    [Fact]
    public void The_cuda_provider_gets_the_limit_in_bytes_and_an_arena_that_grows_only_as_requested()
    {
        var limited = ExecutionProviders.CudaProviderOptions(512L * 1024 * 1024);
        var unlimited = ExecutionProviders.CudaProviderOptions(null);

        Assert.Equal("536870912", limited["gpu_mem_limit"]);
        Assert.Equal("kSameAsRequested", limited["arena_extend_strategy"]);
        Assert.False(unlimited.ContainsKey("gpu_mem_limit"));
        Assert.False(unlimited.ContainsKey("arena_extend_strategy"));
    }

    [Fact]
    public async Task On_the_cpu_max_split_size_mb_is_accepted_with_a_note()
    {
        using var folder = new TempFolder();
        var photo = folder.Write("p.jpg", TestPhotos.Scene(100, 80));

        var (exit, _, errors) = await CliProcess.RunAsync(folder.Path, null, "convert", photo, "-o", folder["out"], "--frames", "2", "--format", "gif", "--max-split-size-mb", "2048");

        Assert.Equal(0, exit);
        var note = Assert.Single(errors);
        Assert.StartsWith("note: the GPU memory limit of 2048 MB (--max-split-size-mb, [ModelOptions] GpuMemoryLimitMb) applies to the CUDA provider only", note, StringComparison.Ordinal);
        Assert.True(File.Exists(folder["out/p.gif"]));
    }
}
