using System.CommandLine;
using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using ImageMagick;
using TurnLivePhotos.Core.Parameters;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Engine.Svd;
using TurnLivePhotos.Engine.Weights;
using TurnLivePhotos.Media;
using TurnLivePhotos.Media.Formats;
using TurnLivePhotos.Media.Imaging;

namespace TurnLivePhotos.Bench;
/// <summary><c>bench</c>: commands that print speed and memory figures (targets live here, not in timed tests).</summary>
public static class BenchCommand
{
    private const int Success = 0;

    public static Command Create(TextWriter output)
    {
        var bench = new Command("bench", "Print speed and memory figures");
        bench.Subcommands.Add(CreateWeights(output));
        bench.Subcommands.Add(CreateWriteModel(output));
        bench.Subcommands.Add(CreatePipeline(output));
        bench.Subcommands.Add(CreateFormats(output));
        bench.Subcommands.Add(CreateCinematic(output));
        bench.Subcommands.Add(CreateWriteDepthModel(output));
        bench.Subcommands.Add(DownloadBench.Create(output));
        bench.Subcommands.Add(QueueBench.Create(output));
        bench.Subcommands.Add(ColourBench.Create(output));
        bench.Subcommands.Add(ViewSynthesis.ViewSynthesisBench.Create(output));
        bench.Subcommands.Add(CreateInterpolate(output));
        return bench;
    }

    private static Command CreateInterpolate(TextWriter output)
    {
        var model = new Option<string?>("--model") { Description = "A RIFE flownet.pkl (v4.25/v4.26) or converted .safetensors (default: the released shapes with random weights)" };
        var repeats = new Option<int>("--repeats") { DefaultValueFactory = _ => 3 };
        var torch = new Option<string?>("--torch") { Description = "A folder with Practical-RIFE's train_log/ and model/ (commit f7edc95): also time the authors' code, on the weights it makes, in the same run" };
        var python = new Option<string>("--python") { Description = "The Python with torch that runs the authors' code", DefaultValueFactory = _ => "/usr/bin/python3" };
        var command = new Command("interpolate", "Time one RIFE intermediate frame at 1024x576 and 1440x810 on the CPU, with peak RSS");
        command.Options.Add(model);
        command.Options.Add(repeats);
        command.Options.Add(torch);
        command.Options.Add(python);
        command.SetAction(async (parse, cancellationToken) =>
        {
            foreach (var line in new InterpolateBench(parse.GetValue(model), Math.Max(1, parse.GetValue(repeats)), parse.GetValue(torch), parse.GetValue(python)!).Run(cancellationToken))
            {
                await output.WriteLineAsync(line);
            }

            return Success;
        });
        return command;
    }

    private static Command CreateCinematic(TextWriter output)
    {
        var model = new Option<string?>("--model") { Description = "A Depth Anything folder (default: a synthetic Depth-Anything-V2-Small with random weights)" };
        var frames = new Option<int>("--frames") { DefaultValueFactory = _ => 45 };
        var camera = new Option<string>("--camera") { DefaultValueFactory = _ => "orbit" };
        camera.AcceptOnlyFromAmong("auto", "dolly", "orbit", "rise");
        var command = new Command("cinematic", "Time depth at 518 px and a whole cinematic clip from a 12-megapixel photo (depth, synthesis, encoding), with peak RSS");
        command.Options.Add(model);
        command.Options.Add(frames);
        command.Options.Add(camera);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var bench = new CinematicBench(parse.GetValue(model), parse.GetValue(frames), EnumNames.Parse<CameraMove>(parse.GetValue(camera)) ?? CameraMove.Orbit);
            await output.WriteLineAsync(await bench.RunAsync(cancellationToken));
            return Success;
        });
        return command;
    }

    private static Command CreateWriteDepthModel(TextWriter output)
    {
        var folder = new Argument<string>("folder") { Description = "Where to write the model folder" };
        var command = new Command("write-depth-model", "Write a synthetic Depth-Anything-V2-Small folder: the hub's config, real names and shapes, random weights (~99 MB)");
        command.Arguments.Add(folder);
        command.SetAction(async parse =>
        {
            var path = Path.GetFullPath(parse.GetValue(folder)!);
            var parameters = CinematicBench.WriteSyntheticSmall(path);
            await output.WriteLineAsync($"wrote {path} ({parameters / 1e6:0.0} M parameters, random weights)");
            return Success;
        });
        return command;
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
                using var still = new MagickImage("plasma:fractal", 4000, 3000);
                still.Quality = 92;
                var stillBytes = still.ToByteArray(MagickFormat.Jpeg);
                using var frame = still.CloneAndMutate(image => image.Resize(new MagickGeometry(1024, 576) { FillArea = true }));
                frame.Crop(1024, 576, Gravity.Center);
                frame.ResetPage();
                var first = MagickInterop.ToRgb(frame);
                var clip = Enumerable.Range(0, parse.GetValue(frames)).Select(i =>
                {
                    var pixels = first.Pixels.ToArray();
                    TensorPrimitives.Add(pixels, (byte)(i % 8), pixels);
                    return new RgbImage(first.Width, first.Height, pixels);
                }).ToList();

                var writer = new OutputWriter(new FfmpegEncoder());
                var options = new OutputOptions
                {
                    Formats = [OutputFormat.Live, OutputFormat.Motion, OutputFormat.Gif, OutputFormat.Mp4],
                };
                // A first write pays the process's one-off costs (JIT, ImageMagick's start-up, ffmpeg's first load from
                // disk); without this warm-up they landed on whichever format was timed first (Live), not on the format.
                using (var small = still.CloneAndMutate(image => image.Resize(new MagickGeometry(64, 48) { IgnoreAspectRatio = true })))
                {
                    await writer.WriteAsync(small.ToByteArray(MagickFormat.Jpeg), clip.Take(3).ToList(), 7, folder, "warm-up", options, cancellationToken);
                }

                var perFormat = new List<string>();
                foreach (var format in options.Formats)
                {
                    var single = Stopwatch.StartNew();
                    var singleCpu = ProcessorTime.Current();
                    await writer.WriteAsync(stillBytes, clip, 7, folder, "single", options with { Formats = [format] }, cancellationToken);
                    perFormat.Add($"{format} alone: {single.Elapsed.TotalSeconds:0.00} s ({(ProcessorTime.Current() - singleCpu).TotalSeconds:0.00} s CPU)");
                }

                var clock = Stopwatch.StartNew();
                var cpu = ProcessorTime.Current();
                var written = await writer.WriteAsync(stillBytes, clip, 7, folder, "bench", options, cancellationToken);
                var elapsed = clock.Elapsed;
                var cpuSeconds = (ProcessorTime.Current() - cpu).TotalSeconds;
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

                await output.WriteLineAsync($"write Live Photo + Motion Photo + GIF + MP4: {elapsed.TotalSeconds:0.00} s (target <= 2 s on 2 cores): {(elapsed.TotalSeconds <= 2 ? "met" : "NOT met")}; "
                    + $"{cpuSeconds:0.00} s CPU in this process and ffmpeg ({Environment.ProcessorCount} cores, load average {ProcessorTime.LoadAverage()}: "
                    + $"on an idle machine the wall time is about CPU / cores plus the parts that run on one core)");
            }
            finally
            {
                Directory.Delete(folder, recursive: true);
            }

            return Success;
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
            SyntheticModel.Write(path, parse.GetValue(fp32) ? WeightType.Float32 : WeightType.Float16);
            var bytes = Directory.EnumerateFiles(path, "*.safetensors", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
            await output.WriteLineAsync($"wrote {path} ({bytes / 1e9:0.00} GB of weights) in {clock.Elapsed.TotalSeconds:0} s");
            return Success;
        });
        return command;
    }

    private static Command CreatePipeline(TextWriter output)
    {
        var folder = new Argument<string>("folder") { Description = "A diffusers SVD model folder (real, or from 'bench write-model')" };
        var width = new Option<int?>("--width") { Description = "Frame width (default 256, or the preset's)" };
        var height = new Option<int?>("--height") { Description = "Frame height (default 128, or the preset's)" };
        var frames = new Option<int?>("--frames") { Description = "Frames (default 4, or the preset's)" };
        var steps = new Option<int?>("--steps") { Description = "Denoising steps (default 2, or the preset's or sampler's)" };
        var quality = new Option<Quality?>("--quality") { Description = "fast, standard or best: that preset's size, frames, steps and sampler (the model's UNet stands in for the few-step weights)" };
        var sampler = new Option<Sampler?>("--sampler") { Description = "euler or animatelcm, with that sampler's defaults unless set explicitly" };
        var device = new Option<string>("--device") { DefaultValueFactory = _ => "auto" };
        var memory = new Option<string>("--memory-mode") { DefaultValueFactory = _ => "low" };
        device.AcceptOnlyFromAmong([.. Enum.GetValues<ExecutionDevice>().Select(EnumNames.Of)]);
        memory.AcceptOnlyFromAmong([.. Enum.GetValues<MemoryMode>().Select(EnumNames.Of)]);
        var variant = new Option<string?>("--variant") { DefaultValueFactory = _ => "fp16" };
        var graphCache = new Option<string?>("--graph-cache") { Description = "Keep optimized graphs in this folder (run twice: the second load is the warm start)" };
        var command = new Command("pipeline", "Run the SVD pipeline once on a model folder and print per-stage times, load time and peak RSS");
        command.Arguments.Add(folder);
        foreach (var option in new Option[] { width, height, frames, steps, quality, sampler, device, memory, variant, graphCache })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            // A quick small run unless a preset or sampler is named; explicit options win over both.
            var start = new MotionParameters { TargetWidth = 256, TargetHeight = 128, Frames = 4, InferenceSteps = 2 };
            var chosen = QualityPresets.Resolve(start, new ParameterChoices
            {
                Quality = parse.GetValue(quality),
                Sampler = parse.GetValue(sampler),
                TargetWidth = parse.GetValue(width),
                TargetHeight = parse.GetValue(height),
                Frames = parse.GetValue(frames),
                InferenceSteps = parse.GetValue(steps),
            }, fewStepWeights: true);
            var options = new PipelineBench(
                parse.GetValue(folder)!, chosen,
                EnumNames.Parse<ExecutionDevice>(parse.GetValue(device)) ?? ExecutionDevice.Auto,
                EnumNames.Parse<MemoryMode>(parse.GetValue(memory)) ?? MemoryMode.Low,
                parse.GetValue(variant),
                parse.GetValue(graphCache));
            await output.WriteLineAsync(options.Run(cancellationToken));
            return Success;
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

            return Success;
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
