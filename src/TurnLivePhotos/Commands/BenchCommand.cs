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
        bench.Subcommands.Add(CreateWriteModel(output));
        bench.Subcommands.Add(CreatePipeline(output));
        bench.Subcommands.Add(CreateFormats(output));
        bench.Subcommands.Add(TurnLivePhotos.Bench.DownloadBench.Create(output));
        return bench;
    }

    private static Command CreateFormats(TextWriter output)
    {
        var frames = new Option<int>("--frames") { DefaultValueFactory = _ => 25 };
        var command = new Command("formats", "Time writing Live Photo + Motion Photo + GIF + MP4 for 1024x576 frames from a 12-megapixel still");
        command.Options.Add(frames);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var folder = Directory.CreateTempSubdirectory("tlp-bench-").FullName;
            try
            {
                using var still = new ImageMagick.MagickImage("plasma:fractal", 4000, 3000);
                still.Quality = 92;
                var stillBytes = still.ToByteArray(ImageMagick.MagickFormat.Jpeg);
                using var frame = still.CloneAndMutate(image => image.Resize(new ImageMagick.MagickGeometry(1024, 576) { FillArea = true }));
                frame.Crop(1024, 576, ImageMagick.Gravity.Center);
                frame.ResetPage();
                var first = TurnLivePhotos.Media.Imaging.MagickInterop.ToRgb(frame);
                var clip = Enumerable.Range(0, parse.GetValue(frames)).Select(i =>
                {
                    var pixels = first.Pixels.ToArray();
                    TensorPrimitives.Add(pixels, (byte)(i % 8), pixels);
                    return new TurnLivePhotos.Media.Imaging.RgbImage(first.Width, first.Height, pixels);
                }).ToList();

                var writer = new TurnLivePhotos.Media.Formats.OutputWriter(new TurnLivePhotos.Media.Formats.FfmpegEncoder());
                var options = new TurnLivePhotos.Media.Formats.OutputOptions
                {
                    Formats = [TurnLivePhotos.Media.Formats.OutputFormat.Live, TurnLivePhotos.Media.Formats.OutputFormat.Motion, TurnLivePhotos.Media.Formats.OutputFormat.Gif, TurnLivePhotos.Media.Formats.OutputFormat.Mp4],
                };
                var perFormat = new List<string>();
                foreach (var format in options.Formats)
                {
                    var single = Stopwatch.StartNew();
                    await writer.WriteAsync(stillBytes, clip, 7, folder, "single", options with { Formats = [format] }, cancellationToken);
                    perFormat.Add($"{format} alone: {single.Elapsed.TotalSeconds:0.00} s");
                }

                var clock = Stopwatch.StartNew();
                var written = await writer.WriteAsync(stillBytes, clip, 7, folder, "bench", options, cancellationToken);
                var elapsed = clock.Elapsed;
                await output.WriteLineAsync(string.Join("; ", perFormat));
                await output.WriteLineAsync($"still: 4000x3000 JPEG ({stillBytes.Length / 1e6:0.0} MB); {clip.Count} frames of 1024x576 at 7 fps");
                foreach (var (format, file) in written.Files)
                {
                    await output.WriteLineAsync($"  {format}: {Path.GetFileName(file)} ({new FileInfo(file).Length / 1e6:0.00} MB)");
                }

                foreach (var (format, reason) in written.Failures)
                {
                    await output.WriteLineAsync($"  {format}: failed: {reason}");
                }

                await output.WriteLineAsync($"write Live Photo + Motion Photo + GIF + MP4: {elapsed.TotalSeconds:0.00} s (target <= 2 s on 2 cores): {(elapsed.TotalSeconds <= 2 ? "met" : "NOT met")}");
            }
            finally
            {
                Directory.Delete(folder, recursive: true);
            }

            return Cli.Success;
        });
        return command;
    }

    private static Command CreateWriteModel(TextWriter output)
    {
        var folder = new Argument<string>("folder") { Description = "Where to write the model folder" };
        var fp32 = new Option<bool>("--fp32") { Description = "Write float32 weights (default: the fp16 variant, as downloaded)" };
        var command = new Command("write-model", "Write a synthetic full-size img2vid-xt folder: real configs, names and shapes, random weights (about 4.5 GB in fp16)");
        command.Arguments.Add(folder);
        command.Options.Add(fp32);
        command.SetAction(async parse =>
        {
            var path = Path.GetFullPath(parse.GetValue(folder)!);
            var clock = Stopwatch.StartNew();
            TurnLivePhotos.Engine.Svd.Img2VidXtConfigs.WriteSyntheticModel(path, parse.GetValue(fp32) ? WeightType.Float32 : WeightType.Float16);
            var bytes = Directory.EnumerateFiles(path, "*.safetensors", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
            await output.WriteLineAsync($"wrote {path} ({bytes / 1e9:0.00} GB of weights) in {clock.Elapsed.TotalSeconds:0} s");
            return Cli.Success;
        });
        return command;
    }

    private static Command CreatePipeline(TextWriter output)
    {
        var folder = new Argument<string>("folder") { Description = "A diffusers SVD model folder (real, or from 'bench write-model')" };
        var width = new Option<int>("--width") { DefaultValueFactory = _ => 256 };
        var height = new Option<int>("--height") { DefaultValueFactory = _ => 128 };
        var frames = new Option<int>("--frames") { DefaultValueFactory = _ => 4 };
        var steps = new Option<int>("--steps") { DefaultValueFactory = _ => 2 };
        var device = new Option<string>("--device") { DefaultValueFactory = _ => "auto" };
        var memory = new Option<string>("--memory-mode") { DefaultValueFactory = _ => "low" };
        var variant = new Option<string?>("--variant") { DefaultValueFactory = _ => "fp16" };
        var command = new Command("pipeline", "Run the SVD pipeline once on a model folder and print per-stage times, load time and peak RSS");
        command.Arguments.Add(folder);
        foreach (var option in new Option[] { width, height, frames, steps, device, memory, variant })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new PipelineBench(
                parse.GetValue(folder)!, parse.GetValue(width), parse.GetValue(height), parse.GetValue(frames), parse.GetValue(steps),
                Enum.Parse<TurnLivePhotos.Engine.Svd.ExecutionDevice>(parse.GetValue(device)!, ignoreCase: true),
                Enum.Parse<TurnLivePhotos.Engine.Svd.MemoryMode>(parse.GetValue(memory)!, ignoreCase: true),
                parse.GetValue(variant));
            await output.WriteLineAsync(options.Run(cancellationToken));
            return Cli.Success;
        });
        return command;
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

/// <summary>One timed run of the SVD pipeline on a synthetic photo.</summary>
internal sealed record PipelineBench(
    string Folder, int Width, int Height, int Frames, int Steps,
    TurnLivePhotos.Engine.Svd.ExecutionDevice Device, TurnLivePhotos.Engine.Svd.MemoryMode Memory, string? Variant)
{
    public string Run(CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        var folder = TurnLivePhotos.Engine.Svd.SvdModelFolder.Open(Folder, Variant);
        var execution = TurnLivePhotos.Engine.Svd.ExecutionProviders.Choose(Device, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        using var pipeline = new TurnLivePhotos.Engine.Svd.SvdPipeline(folder, execution.CreateOptions, Memory, execution.Precision, execution.Attention);
        var image = new TurnLivePhotos.Engine.Onnx.FloatTensor(new float[3L * Width * Height], [1, 3, Height, Width]);
        TensorPrimitives.Cosh(Enumerable.Range(0, image.Data.Length).Select(i => (float)Math.Sin(i * 0.001)).ToArray(), image.Data);
        TensorPrimitives.Subtract(image.Data, 1.2f, image.Data);

        var stages = new Dictionary<string, TimeSpan>();
        var stageClock = Stopwatch.StartNew();
        var progress = new TurnLivePhotos.Engine.SynchronousProgress<TurnLivePhotos.Engine.MotionProgress>(step =>
        {
            stages[step.Stage] = stages.GetValueOrDefault(step.Stage) + stageClock.Elapsed;
            stageClock.Restart();
        });
        pipeline.Run(image, new TurnLivePhotos.Engine.Svd.SvdRunOptions { Frames = Frames, Steps = Steps, DecodeChunkSize = Math.Min(Frames, 8), Seed = 1 }, progress, cancellationToken);
        var elapsed = total.Elapsed;

        var largest = new[] { folder.ImageEncoder.Weights, folder.Unet.Weights, folder.Vae.Weights }.Max(path => new FileInfo(path).Length);
        var peak = ResidentMemory.Peak();
        var nonModel = elapsed - pipeline.LoadTime - pipeline.NetworkTime;
        var lines = new List<string>
        {
            $"model: {folder.Root} on {execution.Device} ({execution.Precision}), memory mode {Memory}",
            $"run: {Width}x{Height}, {Frames} frames, {Steps} steps",
        };
        lines.AddRange(stages.Select(stage => $"  stage {stage.Key}: {stage.Value.TotalSeconds:0.00} s (includes loading its networks)"));
        lines.Add($"model load (graph build + weights into sessions): {pipeline.LoadTime.TotalSeconds:0.00} s");
        lines.Add($"inside the networks: {pipeline.NetworkTime.TotalSeconds:0.00} s");
        lines.Add($"total: {elapsed.TotalSeconds:0.00} s; non-model time (scheduler, preprocessing, copies): {nonModel.TotalSeconds:0.000} s = {100 * nonModel / elapsed:0.00} % (target <= 2 %): {(nonModel / elapsed <= 0.02 ? "met" : "NOT met")}");
        lines.Add($"peak RSS: {peak / 1e9:0.00} GB = {(double)peak / largest:0.00} x the largest component file ({largest / 1e9:0.00} GB; target <= 1.30 x): {((double)peak / largest <= 1.3 ? "met" : "NOT met")}");
        return string.Join(Environment.NewLine, lines);
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
        var kilobytes = line?.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1];
        return kilobytes is null ? null : long.Parse(kilobytes, System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }
}
