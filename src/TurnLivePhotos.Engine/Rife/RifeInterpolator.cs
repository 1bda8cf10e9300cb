using TurnLivePhotos.Engine.Onnx;
using TurnLivePhotos.Engine.Svd;
using TurnLivePhotos.Engine.Weights;
using TurnLivePhotos.Engine.Weights.Torch;

namespace TurnLivePhotos.Engine.Rife;

/// <summary>
/// Frames between two frames with RIFE: the IFNet graph over a released <c>flownet.pkl</c> (or a converted
/// safetensors file), any image size. Frames are (3, H, W) planes of values in [0, 1]; they are padded with zeros on
/// the right and bottom to the network's multiple and the result cropped back, as the authors' inference_img.py does.
/// </summary>
public sealed class RifeInterpolator : IDisposable
{
    private readonly Checkpoint weights;
    private readonly OnnxNetwork network;

    private RifeInterpolator(Checkpoint weights, OnnxNetwork network, IfNetConfig config)
    {
        this.weights = weights;
        this.network = network;
        Config = config;
    }

    public IfNetConfig Config { get; }

    /// <summary>
    /// Opens a model: a torch.save <c>flownet.pkl</c> is first converted to float32 safetensors in
    /// <paramref name="workFolder"/>; a <c>.safetensors</c> file is used as it is.
    /// </summary>
    /// <param name="releasedOnly">Refuse any widths but the released ones (tests pass false for tiny networks).</param>
    /// <param name="execution">Where it runs (the CPU when null): on a GPU the graph is built in fp16, as the other networks are.</param>
    public static RifeInterpolator Open(string modelPath, string workFolder, bool releasedOnly = true, ExecutionChoice? execution = null)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        string safetensors;
        if (modelPath.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            safetensors = modelPath;
        }
        else
        {
            Directory.CreateDirectory(workFolder);
            safetensors = Path.Combine(workFolder, Path.GetFileNameWithoutExtension(modelPath) + ".safetensors");
            RifeWeights.Convert(TorchCheckpoint.Open(modelPath), safetensors);
        }

        var checkpoint = Checkpoint.Open(safetensors);
        try
        {
            var config = IfNetConfig.Read(checkpoint.Tensors.ToDictionary(t => t.Key, t => t.Value.Shape, StringComparer.Ordinal));
            if (releasedOnly)
            {
                config.Identify();
            }

            var gpu = execution is { IsGpu: true };
            using var options = gpu ? execution!.CreateOptions() : CpuThreads.RepeatedRunOptions();
            var network = OnnxNetwork.Create(IfNetModel.Build(checkpoint, config, precision: gpu ? execution!.Precision : Precision.Float32), options, shrinkArenaAfterRun: gpu);
            return new RifeInterpolator(checkpoint, network, config);
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    /// <summary>The frame at <paramref name="timestep"/> (0 = <paramref name="first"/>, 1 = <paramref name="second"/>).</summary>
    public FloatTensor Interpolate(FloatTensor first, FloatTensor second, float timestep, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        if (first.Shape.Length != 3 || first.Shape[0] != 3 || !first.Shape.SequenceEqual(second.Shape))
        {
            throw new ArgumentException($"frames must be two (3, H, W) planes of one size, not {first.ShapeText} and {second.ShapeText}");
        }

        int height = (int)first.Shape[1], width = (int)first.Shape[2];
        var outputs = network.Run(
            new Dictionary<string, FloatTensor>
            {
                ["img0"] = Pad(first, height, width),
                ["img1"] = Pad(second, height, width),
                ["timestep"] = new FloatTensor([timestep], [1, 1, 1, 1]),
            },
            cancellationToken);
        return Crop(outputs["frame"], height, width);
    }

    public void Dispose()
    {
        network.Dispose();
        weights.Dispose();
    }

    /// <summary>The padded size: the next multiple of <see cref="IfNetModel.SizeMultiple"/>.</summary>
    public static int Padded(int size) => ((size - 1) / IfNetModel.SizeMultiple + 1) * IfNetModel.SizeMultiple;

    internal static FloatTensor Pad(FloatTensor frame, int height, int width)
    {
        int paddedHeight = Padded(height), paddedWidth = Padded(width);
        if (paddedHeight == height && paddedWidth == width)
        {
            return new FloatTensor(frame.Data, [1, 3, height, width]);
        }

        var padded = new FloatTensor([1, 3, paddedHeight, paddedWidth]);
        for (var c = 0; c < 3; c++)
        {
            for (var y = 0; y < height; y++)
            {
                frame.Data.AsSpan(((c * height) + y) * width, width).CopyTo(padded.Data.AsSpan(((c * paddedHeight) + y) * paddedWidth));
            }
        }

        return padded;
    }

    internal static FloatTensor Crop(FloatTensor output, int height, int width)
    {
        int paddedHeight = (int)output.Shape[2], paddedWidth = (int)output.Shape[3];
        if (paddedHeight == height && paddedWidth == width)
        {
            return new FloatTensor(output.Data, [3, height, width]);
        }

        var frame = new FloatTensor([3, height, width]);
        for (var c = 0; c < 3; c++)
        {
            for (var y = 0; y < height; y++)
            {
                output.Data.AsSpan(((c * paddedHeight) + y) * paddedWidth, width).CopyTo(frame.Data.AsSpan(((c * height) + y) * width));
            }
        }

        return frame;
    }
}
