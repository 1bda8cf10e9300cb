using System.Diagnostics.Metrics;
using TurnLivePhotos.Engine.Svd;

namespace TurnLivePhotos.Bench;

/// <summary>
/// One pipeline's <see cref="SvdPipelineMetrics"/> instruments, summed by a <see cref="MeterListener"/> that listens to
/// that pipeline's meter only (so pipelines running side by side do not mix their figures).
/// </summary>
public sealed class PipelineMeasurements : IDisposable
{
    private readonly MeterListener listener = new();
    private readonly Dictionary<string, TimeSpan> loads = [];
    private readonly Lock gate = new();
    private long evaluations;
    private long calls;
    private TimeSpan network;

    /// <param name="loaded">Called as each network's session is ready, with its key and how long loading took.</param>
    public PipelineMeasurements(SvdPipeline pipeline, Action<string, TimeSpan>? loaded = null)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        var meter = pipeline.Metrics.Meter;
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, meter))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            lock (gate)
            {
                if (instrument.Name == "svd.unet.evaluations")
                {
                    evaluations += value;
                }
                else if (instrument.Name == "svd.unet.calls")
                {
                    calls += value;
                }
            }
        });
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            var took = TimeSpan.FromSeconds(value);
            string? key = null;
            foreach (var tag in tags)
            {
                if (tag.Key == SvdPipelineMetrics.NetworkTag)
                {
                    key = tag.Value as string;
                }
            }

            lock (gate)
            {
                if (instrument.Name == "svd.network.load.duration")
                {
                    loads[key ?? "?"] = loads.GetValueOrDefault(key ?? "?") + took;
                }
                else if (instrument.Name == "svd.network.run.duration")
                {
                    network += took;
                }
            }

            if (instrument.Name == "svd.network.load.duration")
            {
                loaded?.Invoke(key ?? "?", took);
            }
        });
        listener.Start();
    }

    /// <summary>UNet evaluations: one per batch row per step.</summary>
    public long UNetEvaluations { get { lock (gate) { return evaluations; } } }

    /// <summary>UNet calls into ONNX Runtime: one per step, or one per row when the rows run apart.</summary>
    public long UNetCalls { get { lock (gate) { return calls; } } }

    /// <summary>Session creation time (graph build + weights) of each network, by key, in the order first loaded.</summary>
    public IReadOnlyList<KeyValuePair<string, TimeSpan>> LoadTimes { get { lock (gate) { return [.. loads]; } } }

    /// <summary>Session creation time summed over every load.</summary>
    public TimeSpan LoadTime { get { lock (gate) { return loads.Values.Aggregate(TimeSpan.Zero, (sum, t) => sum + t); } } }

    /// <summary>Time inside ONNX Runtime running networks.</summary>
    public TimeSpan NetworkTime { get { lock (gate) { return network; } } }

    public void Dispose() => listener.Dispose();
}
