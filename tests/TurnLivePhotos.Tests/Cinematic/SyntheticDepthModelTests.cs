using TurnLivePhotos.Engine.Depth;
using TurnLivePhotos.Engine.Onnx;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Cinematic;

public sealed class SyntheticDepthModelTests
{
    [Fact]
    public async Task Bench_write_depth_model_writes_a_full_size_small_that_loads_and_runs()
    {
        using var folder = new TempFolder();
        using var output = new StringWriter();
        var exit = await TurnLivePhotos.Commands.Cli.RunAsync(["bench", "write-depth-model", folder["small"]], output, TextWriter.Null);
        Assert.Equal(0, exit);

        using var estimator = DepthEstimator.Open(folder["small"]);
        Assert.Equal(384, estimator.Config.Backbone.HiddenSize);
        Assert.Equal(12, estimator.Config.Backbone.Layers);
        Assert.Equal([48, 96, 192, 384], estimator.Config.NeckHiddenSizes);

        // Depth-Anything-V2-Small has 24.8 M parameters; ours must bind them all (the mask token aside, unused at inference).
        var parameters = DepthAnythingModel.StateDict(estimator.Config).Sum(w => w.ElementCount);
        Assert.InRange(parameters, 24_700_000, 24_900_000);

        var depth = estimator.Run(new FloatTensor([1, 3, 42, 56]));
        Assert.Equal([1L, 42, 56], depth.Shape);
    }
}
