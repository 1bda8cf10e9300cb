using System.Diagnostics;
using System.Numerics.Tensors;
using Microsoft.Extensions.Logging.Abstractions;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Engine.Onnx;
using TurnLivePhotos.Engine.Svd;

namespace TurnLivePhotos.Bench;

/// <summary>One timed run of the SVD pipeline on a synthetic photo; the target size is taken as the exact frame size.</summary>
internal sealed record PipelineBench(string Folder, MotionParameters Parameters, ExecutionDevice Device, MemoryMode Memory, string? Variant, string? GraphCache = null)
{
    public string Run(CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        using var pipeline = SvdPipeline.Open(Folder, Variant, Device, Memory, NullLogger.Instance, GraphCache);
        // Each load as it happens (on the error stream, beside ONNX Runtime's own lines), so a run of an hour can be
        // followed, and a warm start read without waiting for the whole run.
        using var measured = new PipelineMeasurements(pipeline, (key, took) =>
            Console.Error.WriteLine($"{total.Elapsed.TotalSeconds,8:0.0} s: loaded {key} in {took.TotalSeconds:0.00} s; peak RSS so far {ResidentMemory.Peak() / 1e9:0.00} GB"));
        var folder = pipeline.Folder;
        var (width, height, frames) = (Parameters.TargetWidth, Parameters.TargetHeight, Parameters.Frames);
        var image = new FloatTensor(new float[3L * width * height], [1, 3, height, width]);
        TensorPrimitives.Cosh(Enumerable.Range(0, image.Data.Length).Select(i => (float)Math.Sin(i * 0.001)).ToArray(), image.Data);
        TensorPrimitives.Subtract(image.Data, 1.2f, image.Data);

        var stages = new Dictionary<string, TimeSpan>();
        var stageClock = Stopwatch.StartNew();
        var progress = new SynchronousProgress<MotionProgress>(step =>
        {
            stages[step.Stage] = stages.GetValueOrDefault(step.Stage) + stageClock.Elapsed;
            stageClock.Restart();
            Console.Error.WriteLine($"{total.Elapsed.TotalSeconds,8:0.0} s: {step}; peak RSS so far {ResidentMemory.Peak() / 1e9:0.00} GB");
        });
        pipeline.Run(image, new SvdRunOptions { Clip = Parameters.ToClip(), Sampling = Parameters.ToSampling(), Seed = 1 }, progress, cancellationToken);
        var elapsed = total.Elapsed;

        var largest = new[] { folder.ImageEncoder.Weights, folder.Unet.Weights, folder.Vae.Weights }.Max(path => new FileInfo(path).Length);
        var peak = ResidentMemory.Peak();
        var nonModel = elapsed - measured.LoadTime - measured.NetworkTime;
        var lines = new List<string>
        {
            $"model: {folder.Root} on {pipeline.Device} ({pipeline.Precision}), memory mode {Memory}, graph cache {GraphCache ?? "off"}",
            $"run: {width}x{height}, {frames} frames, {Parameters.InferenceSteps} steps of the {Parameters.Sampler} sampler, guidance {Parameters.MinGuidanceScale:0.0#} -> {Parameters.MaxGuidanceScale:0.0#}; {measured.UNetEvaluations} UNet evaluations ({(Parameters.MaxGuidanceScale > 1 || Parameters.MinGuidanceScale > 1 ? "with" : "without")} the unconditional half)",
        };
        lines.AddRange(stages.Select(stage => $"  stage {stage.Key}: {stage.Value.TotalSeconds:0.00} s (includes loading its networks)"));
        lines.Add($"model load (graph build + weights into sessions): {measured.LoadTime.TotalSeconds:0.00} s");
        lines.AddRange(measured.LoadTimes.Select(load => $"  load {load.Key}: {load.Value.TotalSeconds:0.00} s"));
        lines.Add($"inside the networks: {measured.NetworkTime.TotalSeconds:0.00} s");
        lines.Add($"total: {elapsed.TotalSeconds:0.00} s; non-model time (scheduler, preprocessing, copies): {nonModel.TotalSeconds:0.000} s = {100 * nonModel / elapsed:0.00} % (target <= 2 %): {(nonModel / elapsed <= 0.02 ? "met" : "NOT met")}");
        lines.Add($"peak RSS: {peak / 1e9:0.00} GB = {(double)peak / largest:0.00} x the largest component file ({largest / 1e9:0.00} GB; target <= 1.30 x): {((double)peak / largest <= 1.3 ? "met" : "NOT met")}");
        return string.Join(Environment.NewLine, lines);
    }
}
