using System.Globalization;
using System.Diagnostics;
using TurnLivePhotos.Engine.Onnx;
using TurnLivePhotos.Engine.Rife;
using TurnLivePhotos.Engine.Weights;

namespace TurnLivePhotos.Bench;

/// <summary>
/// <c>bench interpolate</c>: one RIFE intermediate frame at 1024×576 and 1440×810 (and at 512×320, the fast
/// preset's size, for the share it adds to a fast run) on the CPU. Without <c>--model</c> it writes a synthetic
/// IFNet of the released v4.25/v4.26 shapes (random weights): the speed is the real network's, the frames are
/// meaningless. With <c>--torch AUTHORS_CODE</c> the authors' own code (Practical-RIFE's IFNet_HDv3 and
/// Model.inference, run by Debian's python3-torch) first makes the random weights, saves them as a flownet.pkl and
/// times the same sizes; our side then loads that file, so both time one network on one machine in one run.
/// </summary>
public sealed class InterpolateBench(string? model, int repeats, string? authorsCode = null, string python = "/usr/bin/python3")
{
    private static readonly (int Width, int Height)[] Sizes = [(1024, 576), (1440, 810), (512, 320)];

    public IEnumerable<string> Run(CancellationToken cancellationToken)
    {
        var folder = Directory.CreateTempSubdirectory("tlp-bench-rife-").FullName;
        try
        {
            var load = CpuTime.MachineLoad();
            var torch = authorsCode is null ? null : RunAuthorsCode(Path.Combine(folder, "flownet.pkl"), cancellationToken);
            var path = torch is not null ? Path.Combine(folder, "flownet.pkl") : model ?? WriteSynthetic(Path.Combine(folder, "flownet.safetensors"));
            using var rife = RifeInterpolator.Open(Path.GetFullPath(path), folder);
            var source = torch is not null ? "the authors' code's random weights at the released v4.25/v4.26 shapes" : model is null ? "synthetic v4.25/v4.26 shapes, random weights" : path;
            yield return $"model: {source}; {CpuThreads.IntraOp} threads; machine: {load}";
            foreach (var (width, height) in Sizes)
            {
                var first = Frame(width, height, 0);
                var second = Frame(width, height, 3);
                ResetPeak();
                rife.Interpolate(first, second, 0.5f, cancellationToken); // warm-up: the arena and kernels settle
                var cpu = CpuTime.Now();
                var clock = Stopwatch.StartNew();
                for (var i = 0; i < repeats; i++)
                {
                    rife.Interpolate(first, second, (i + 1f) / (repeats + 1), cancellationToken);
                }

                var seconds = clock.Elapsed.TotalSeconds / repeats;
                var cpuSeconds = (CpuTime.Now() - cpu).Seconds / repeats;
                yield return Invariant($"interpolate {width}x{height}: {seconds:0.00} s per frame, peak RSS {ResidentMemory.Peak() / 1e9:0.00} GB");
                yield return Invariant($"  CPU {cpuSeconds:0.00} s per frame (on an idle machine of {Environment.ProcessorCount} cores no less than {cpuSeconds / Environment.ProcessorCount:0.00} s)");
                if (torch?.GetValueOrDefault((width, height)) is { } theirs)
                {
                    yield return Invariant(
                        $"  PyTorch (the authors' code, same weights): {theirs.Seconds:0.00} s per frame (CPU {theirs.CpuSeconds:0.00} s), its process's peak RSS so far {theirs.PeakGigabytes:0.00} GB; ours takes {seconds / theirs.Seconds:0.00}× its time ({cpuSeconds / theirs.CpuSeconds:0.00}× its CPU)");
                }
            }

            yield return $"machine: {CpuTime.MachineLoad()} at the end (other work on the same cores makes wall times upper bounds)";
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>One size's timing by the authors' code.</summary>
    private readonly record struct TorchTiming(double Seconds, double CpuSeconds, double PeakGigabytes);

    /// <summary>Runs <c>rife_torch_bench.py</c> (embedded in this assembly) on the authors' code; it writes the weights to <paramref name="checkpoint"/>.</summary>
    private Dictionary<(int, int), TorchTiming> RunAuthorsCode(string checkpoint, CancellationToken cancellationToken)
    {
        var script = Path.Combine(Path.GetDirectoryName(checkpoint)!, "rife_torch_bench.py");
        using (var resource = typeof(InterpolateBench).Assembly.GetManifestResourceStream("rife_torch_bench.py")!)
        using (var file = File.Create(script))
        {
            resource.CopyTo(file);
        }

        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { script, Path.GetFullPath(authorsCode!), repeats.ToString(CultureInfo.InvariantCulture), checkpoint, string.Join(",", Sizes.Select(s => $"{s.Width}x{s.Height}")) })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {python}");
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        var lines = process.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"the authors' code failed (exit {process.ExitCode}): {error.Result.Trim().Split('\n')[^1]}");
        }

        var timings = new Dictionary<(int, int), TorchTiming>();
        foreach (var fields in lines.Select(line => line.Split(' ')).Where(f => f.Length == 5 && f[0] == "torch"))
        {
            var size = fields[1].Split('x');
            timings[(int.Parse(size[0], CultureInfo.InvariantCulture), int.Parse(size[1], CultureInfo.InvariantCulture))] =
                new(double.Parse(fields[2], CultureInfo.InvariantCulture), double.Parse(fields[3], CultureInfo.InvariantCulture), double.Parse(fields[4], CultureInfo.InvariantCulture));
        }

        return timings;
    }

    /// <summary>An IFNet of the released shapes with random weights.</summary>
    public static string WriteSynthetic(string path)
    {
        var layout = IfNetModel.StateDict(new IfNetConfig(4, IfNetConfig.ReleasedWidths));
        SafetensorsWriter.WriteSynthetic(path, layout.Select(t => (t.Name, WeightType.Float32, t.Shape)).ToList(), seed: 11);
        return path;
    }

    /// <summary>A smooth colour pattern shifted by <paramref name="shift"/> pixels, (3, H, W) in [0, 1].</summary>
    private static FloatTensor Frame(int width, int height, int shift)
    {
        var frame = new FloatTensor([3, height, width]);
        for (var c = 0; c < 3; c++)
        {
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    frame.Data[((c * height) + y) * width + x] = 0.5f + (0.5f * MathF.Sin(((x + shift) * (0.013f + (0.004f * c))) + (y * 0.021f)));
                }
            }
        }

        return frame;
    }

    /// <summary>Resets the kernel's peak-RSS mark (VmHWM) so each size reports its own peak; Linux only, else a no-op.</summary>
    private static void ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Not Linux, or not allowed: the peak is then the process's whole-run peak.
        }
    }
}
