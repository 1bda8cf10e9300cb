using Microsoft.ML.OnnxRuntime;
using TurnLivePhotos.Engine.Onnx;
using TurnLivePhotos.Engine.Weights;
using TurnLivePhotos.Media.Imaging;

namespace TurnLivePhotos.Engine.Depth;

/// <summary>Depth Anything on ONNX Runtime: photo in, relative inverse depth out at the processor's size (short side 518 for the hub model).</summary>
public sealed class DepthEstimator : IDisposable
{
    private readonly Checkpoint weights;
    private readonly OnnxNetwork network;

    private DepthEstimator(Checkpoint weights, OnnxNetwork network, DptImageProcessor processor, DepthAnythingConfig config)
    {
        this.weights = weights;
        this.network = network;
        Processor = processor;
        Config = config;
    }

    public DptImageProcessor Processor { get; }

    public DepthAnythingConfig Config { get; }

    /// <exception cref="WeightFileException">The folder is incomplete, a file is unreadable or the config asks for something unsupported.</exception>
    public static DepthEstimator Open(string folder, SessionOptions? options = null)
    {
        var files = DepthModelFolder.Open(folder);
        var config = DepthAnythingConfig.Load(files.Config);
        var processor = DptImageProcessor.Load(files.Preprocessor);
        var weights = Checkpoint.Open(files.Weights);
        try
        {
            return new DepthEstimator(weights, OnnxNetwork.Create(DepthAnythingModel.Build(weights, config), options), processor, config);
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    public DepthMap Estimate(RgbImage photo, DepthInputFit fit = DepthInputFit.ClosestScale)
    {
        var depth = Run(Processor.Preprocess(photo, fit));
        return new DepthMap((int)depth.Shape[2], (int)depth.Shape[1], depth.Data);
    }

    /// <summary>The network alone: pixel_values (B, 3, H, W) in, predicted_depth (B, H, W) out.</summary>
    public FloatTensor Run(FloatTensor pixelValues) =>
        network.Run(new Dictionary<string, FloatTensor> { ["pixel_values"] = pixelValues })["predicted_depth"];

    public void Dispose()
    {
        network.Dispose();
        weights.Dispose();
    }
}
