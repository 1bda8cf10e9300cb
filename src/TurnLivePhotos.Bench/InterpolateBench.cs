using System.Diagnostics;
using TurnLivePhotos.Engine.Onnx;
using TurnLivePhotos.Engine.Rife;
using TurnLivePhotos.Engine.Weights;

namespace TurnLivePhotos.Bench;

/// <summary>
/// <c>bench interpolate</c>: one RIFE intermediate frame at 1024×576 and 1440×810 (and at 512×320, the fast
/// preset's size, for the share it adds to a fast run) on the CPU. Without
/// <c>--model</c> it writes a synthetic IFNet of the released v4.25/v4.26 shapes (random weights): the speed is
/// the real network's, the frames are meaningless.
/// </summary>
public sealed class InterpolateBench(string? model, int repeats)
{
    private static readonly (int Width, int Height)[] Sizes = [(1024, 576), (1440, 810), (512, 320)];

    public IEnumerable<string> Run(CancellationToken cancellationToken)
    {
        var folder = Directory.CreateTempSubdirectory("tlp-bench-rife-").FullName;
        try
        {
            var path = model ?? WriteSynthetic(Path.Combine(folder, "flownet.safetensors"));
            var load = CpuTime.MachineLoad();
            using var rife = RifeInterpolator.Open(Path.GetFullPath(path), folder);
            yield return $"model: {(model is null ? "synthetic v4.25/v4.26 shapes, random weights" : path)}; {CpuThreads.IntraOp} threads; machine: {load}";
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
                yield return $"interpolate {width}x{height}: {seconds:0.00} s per frame, peak RSS {ResidentMemory.Peak() / 1e9:0.00} GB";
                yield return $"  CPU {cpuSeconds:0.00} s per frame (on an idle machine of {Environment.ProcessorCount} cores no less than {cpuSeconds / Environment.ProcessorCount:0.00} s)";
            }

            yield return $"machine: {CpuTime.MachineLoad()} at the end (other work on the same cores makes wall times upper bounds)";
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
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
