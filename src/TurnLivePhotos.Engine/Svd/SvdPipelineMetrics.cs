using System.Diagnostics.Metrics;

namespace TurnLivePhotos.Engine.Svd;

/// <summary>
/// What a pipeline counts, as <see cref="System.Diagnostics.Metrics"/> instruments on a <see cref="Meter"/> of its own
/// (named <see cref="MeterName"/>), so a <see cref="MeterListener"/> — the bench, a test, dotnet-counters — reads one
/// pipeline's figures without the pipeline keeping any. Durations are in seconds and tagged with the network's key.
/// </summary>
public sealed class SvdPipelineMetrics : IDisposable
{
    public const string MeterName = "TurnLivePhotos.Engine.Svd";

    /// <summary>The tag naming the network (e.g. <c>unet-25</c>, <c>vae_decoder-8</c>) on the duration instruments.</summary>
    public const string NetworkTag = "network";

    public SvdPipelineMetrics()
    {
        Meter = new Meter(MeterName);
        UNetEvaluations = Meter.CreateCounter<long>("svd.unet.evaluations", "{evaluation}", "UNet evaluations: one per batch row per step (2 per step with guidance, 1 without)");
        UNetCalls = Meter.CreateCounter<long>("svd.unet.calls", "{call}", "UNet calls into ONNX Runtime: one per step, or one per batch row when the rows run apart");
        NetworkLoad = Meter.CreateHistogram<double>("svd.network.load.duration", "s", "Session creation of a network (graph build + weights; from the graph cache on a warm start)");
        NetworkRun = Meter.CreateHistogram<double>("svd.network.run.duration", "s", "Time inside ONNX Runtime running a network");
    }

    /// <summary>The instruments' meter; a listener tells one pipeline's measurements from another's by this instance.</summary>
    public Meter Meter { get; }

    internal Counter<long> UNetEvaluations { get; }

    internal Counter<long> UNetCalls { get; }

    internal Histogram<double> NetworkLoad { get; }

    internal Histogram<double> NetworkRun { get; }

    internal void Loaded(string key, TimeSpan took) => NetworkLoad.Record(took.TotalSeconds, new KeyValuePair<string, object?>(NetworkTag, key));

    internal void Ran(string key, TimeSpan took) => NetworkRun.Record(took.TotalSeconds, new KeyValuePair<string, object?>(NetworkTag, key));

    public void Dispose() => Meter.Dispose();
}
