using System.CommandLine;
using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using TurnLivePhotos.Engine.Weights;

namespace TurnLivePhotos.Commands;

/// <summary><c>bench</c>: commands that print speed and memory figures (targets live here, not in timed tests).</summary>
public static class BenchCommand
{
    public static Command Create(TextWriter output)
    {
        var bench = new Command("bench", "Print speed and memory figures");
        bench.Subcommands.Add(CreateWeights(output));
        return bench;
    }

    private static Command CreateWeights(TextWriter output)
    {
        var file = new Argument<string?>("file") { Description = "A .safetensors file (or *.safetensors.index.json); omit to use a synthetic one", Arity = ArgumentArity.ZeroOrOne };
        var syntheticMb = new Option<int>("--synthetic-mb") { Description = "Size of the synthetic fp32 file when no file is given", DefaultValueFactory = _ => 1024 };
        var command = new Command("weights", "Open a weight file and read every tensor through the mapping; prints load time and peak RSS");
        command.Arguments.Add(file);
        command.Options.Add(syntheticMb);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var path = parse.GetValue(file);
            string? temporary = null;
            if (path is null)
            {
                temporary = Directory.CreateTempSubdirectory("tlp-bench-").FullName;
                path = Path.Combine(temporary, "synthetic.safetensors");
                var tensors = Math.Max(1, parse.GetValue(syntheticMb) / 16);
                SafetensorsWriter.WriteSynthetic(path, Enumerable.Range(0, tensors).Select(i => ($"blocks.{i}.weight", WeightType.Float32, new long[] { 2048, 2048 })).ToList(), seed: 1);
            }

            try
            {
                await output.WriteLineAsync(Measure(path));
            }
            finally
            {
                if (temporary is not null)
                {
                    Directory.Delete(temporary, recursive: true);
                }
            }

            return Cli.Success;
        });
        return command;
    }

    private static string Measure(string path)
    {
        var before = ResidentMemory.Current();
        var clock = Stopwatch.StartNew();
        using var checkpoint = Checkpoint.Open(path);
        var openTime = clock.Elapsed;

        clock.Restart();
        var checksum = 0.0;
        foreach (var tensor in checkpoint.Tensors.Values)
        {
            var bytes = tensor.File.Bytes(tensor);
            checksum += tensor.Type == WeightType.Float32
                ? TensorPrimitives.Sum(MemoryMarshal.Cast<byte, float>(bytes))
                : TensorPrimitives.Sum(MemoryMarshal.Cast<byte, short>(bytes));
        }

        var readTime = clock.Elapsed;
        var size = checkpoint.TotalBytes;
        var peak = ResidentMemory.Peak();
        var ratio = (double)peak / size;
        return string.Join(Environment.NewLine,
            $"file: {checkpoint.Path} ({size / 1048576.0:0.0} MiB, {checkpoint.Tensors.Count} tensors)",
            $"open (map + header): {openTime.TotalMilliseconds:0.0} ms",
            $"read every tensor through the mapping: {readTime.TotalMilliseconds:0} ms ({size / 1048576.0 / Math.Max(readTime.TotalSeconds, 1e-9):0} MiB/s, checksum {checksum:G4})",
            $"RSS before opening: {before / 1048576.0:0} MiB; peak RSS: {peak / 1048576.0:0} MiB = {ratio:0.00} x file size (target <= 1.20 x): {(ratio <= 1.2 ? "met" : "NOT met")}",
            $"peak RSS added by the weights: {(peak - before) / 1048576.0:0} MiB = {(double)(peak - before) / size:0.00} x file size (a mapping: the pages of the file, no copy)");
    }
}

/// <summary>Resident memory of this process, from /proc (Linux); elsewhere the managed working set.</summary>
public static class ResidentMemory
{
    public static long Current() => Read("VmRSS:") ?? Environment.WorkingSet;

    public static long Peak() => Read("VmHWM:") ?? Process.GetCurrentProcess().PeakWorkingSet64;

    private static long? Read(string field)
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status))
        {
            return null;
        }

        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
        var kilobytes = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        return kilobytes is null ? null : long.Parse(kilobytes, System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }
}
