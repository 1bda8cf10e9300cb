using Microsoft.ML.OnnxRuntime;
using TurnLivePhotos.Bench;
using TurnLivePhotos.Engine.Onnx;
using TurnLivePhotos.Engine.Svd;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Svd;

/// <summary>The memory strategy apart from the pipeline, and the pipeline's counters as Metrics instruments.</summary>
public sealed class NetworkMemoryTests
{
    public static TheoryData<string> Sets => FixtureSets.All;

    [Theory]
    [InlineData(MemoryMode.Low, 3, new[] { 0, 1, 1, 1, 2, 1 })]
    [InlineData(MemoryMode.Auto, 2, new[] { 0, 1, 1, 1 })]
    [InlineData(MemoryMode.Fast, 3, new[] { 0, 3 })]
    [InlineData(MemoryMode.Low, 1, new[] { 0, 1 })]
    public void Low_memory_runs_batch_rows_one_at_a_time_and_stacks_them_in_order(MemoryMode mode, int rows, int[] expectedCalls)
    {
        using var metrics = new SvdPipelineMetrics();
        using var memory = new NetworkMemory(mode, () => new SessionOptions(), metrics);
        var calls = new List<int>();

        // Each row's output is its row number in every element, so the stacking order shows in the result.
        var result = memory.ByRows(rows, (first, count) =>
        {
            calls.AddRange([first, count]);
            return new FloatTensor([.. Enumerable.Range(first, count).SelectMany(r => Enumerable.Repeat((float)r, 4))], [count, 2, 2]);
        });

        Assert.Equal(expectedCalls, calls);
        Assert.Equal([rows, 2, 2], result.Shape);
        Assert.Equal(Enumerable.Range(0, rows).SelectMany(r => Enumerable.Repeat((float)r, 4)), result.Data);
    }

    [Fact]
    public void Each_memory_mode_decodes_its_own_chunk_and_never_more_than_the_frames()
    {
        using var metrics = new SvdPipelineMetrics();
        using var low = new NetworkMemory(MemoryMode.Low, () => new SessionOptions(), metrics);
        using var fast = new NetworkMemory(MemoryMode.Fast, () => new SessionOptions(), metrics);

        Assert.Equal((NetworkMemory.LowMemoryDecodeChunk, NetworkMemory.FastDecodeChunk), (low.DecodeChunk(25), fast.DecodeChunk(25)));
        Assert.Equal((1, 1), (low.DecodeChunk(1), fast.DecodeChunk(1)));
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void A_listener_on_one_pipeline_sees_its_measurements_and_not_another_pipelines(string set)
    {
        using var temp = new TempFolder();
        var folder = SvdModelFolder.Open(TinyModelFolder.Create(set, temp["model"]));
        using var one = new SvdPipeline(folder, () => new SessionOptions(), MemoryMode.Fast);
        using var other = new SvdPipeline(folder, () => new SessionOptions(), MemoryMode.Fast);
        var loads = new List<string>();
        using var measured = new PipelineMeasurements(one, (key, _) => loads.Add(key));

        one.Metrics.UNetEvaluations.Add(2);
        one.Metrics.UNetCalls.Add(1);
        one.Metrics.Loaded("unet-3", TimeSpan.FromSeconds(1.5));
        one.Metrics.Ran("unet", TimeSpan.FromSeconds(0.25));
        other.Metrics.UNetEvaluations.Add(7);
        other.Metrics.Loaded("vae_decoder-2", TimeSpan.FromSeconds(9));

        Assert.Equal((2L, 1L), (measured.UNetEvaluations, measured.UNetCalls));
        Assert.Equal(["unet-3"], loads);
        Assert.Equal([new KeyValuePair<string, TimeSpan>("unet-3", TimeSpan.FromSeconds(1.5))], measured.LoadTimes);
        Assert.Equal((TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(0.25)), (measured.LoadTime, measured.NetworkTime));
        Assert.Equal(SvdPipelineMetrics.MeterName, one.Metrics.Meter.Name);
    }
}
