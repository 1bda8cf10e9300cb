using TurnLivePhotos.Engine.Onnx;
using TurnLivePhotos.Engine.Weights;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Svd;

public sealed class GraphBuilderTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_linear_layer_runs_on_weights_bound_from_the_mapped_file(bool half)
    {
        using var folder = new TempFolder();
        float[] weight = [1, 2, 3, 4, 5, 6];
        float[] bias = [0.5f, -1];
        var path = folder["w.safetensors"];
        SafetensorsWriter.Write(path, half
            ? [SafetensorsWriter.Float16("fc.weight", weight, 2, 3), SafetensorsWriter.Float16("fc.bias", bias, 2)]
            : [SafetensorsWriter.Float32("fc.weight", weight, 2, 3), SafetensorsWriter.Float32("fc.bias", bias, 2)]);
        using var checkpoint = Checkpoint.Open(path);
        var graph = new GraphBuilder(checkpoint);
        var x = graph.Input("x", null, 3);
        graph.Output(graph.Op("Gemm", [x, graph.Weight("fc.weight", 2, 3), graph.Weight("fc.bias", 2)], [Attr.Int("transB", 1)]), "y");

        using var network = OnnxNetwork.Create(graph.Build("linear"));
        var y = network.Run(new Dictionary<string, FloatTensor> { ["x"] = new([1, 0, -1, 2, 2, 2], [2, 3]) })["y"];

        Assert.Equal([2, 2], y.Shape);
        Assert.Equal([1 - 3 + 0.5f, 4 - 6 - 1, 12 + 0.5f, 30 - 1], y.Data);
    }
}
