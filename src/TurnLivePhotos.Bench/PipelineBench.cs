using System.Diagnostics;
using System.Numerics.Tensors;
using Microsoft.Extensions.Logging.Abstractions;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Engine.Onnx;
using TurnLivePhotos.Engine.Svd;

namespace TurnLivePhotos.Bench;

/// <summary>One timed run of the SVD pipeline on a synthetic photo.</summary>
internal sealed record PipelineBench(
    string Folder, int Width, int Height, int Frames, int Steps,
    ExecutionDevice Device, MemoryMode Memory, string? Variant)
{
    public string Run(CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        using var pipeline = SvdPipeline.Open(Folder, Variant, Device, Memory, NullLogger.Instance);
        var folder = pipeline.Folder;
        var image = new FloatTensor(new float[3L * Width * Height], [1, 3, Height, Width]);
        TensorPrimitives.Cosh(Enumerable.Range(0, image.Data.Length).Select(i => (float)Math.Sin(i * 0.001)).ToArray(), image.Data);
        TensorPrimitives.Subtract(image.Data, 1.2f, image.Data);

        var stages = new Dictionary<string, TimeSpan>();
        var stageClock = Stopwatch.StartNew();
        var progress = new SynchronousProgress<MotionProgress>(step =>
        {
            stages[step.Stage] = stages.GetValueOrDefault(step.Stage) + stageClock.Elapsed;
            stageClock.Restart();
        });
        pipeline.Run(image, new SvdRunOptions { Frames = Frames, Steps = Steps, DecodeChunkSize = Math.Min(Frames, 8), Seed = 1 }, progress, cancellationToken);
        var elapsed = total.Elapsed;

        var largest = new[] { folder.ImageEncoder.Weights, folder.Unet.Weights, folder.Vae.Weights }.Max(path => new FileInfo(path).Length);
        var peak = ResidentMemory.Peak();
        var nonModel = elapsed - pipeline.LoadTime - pipeline.NetworkTime;
        var lines = new List<string>
        {
            $"model: {folder.Root} on {pipeline.Device} ({pipeline.Precision}), memory mode {Memory}",
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
