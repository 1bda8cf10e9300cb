using TurnLivePhotos.Engine.Weights;
using TurnLivePhotos.Engine.Weights.Torch;

namespace TurnLivePhotos.Engine.Rife;

/// <summary>
/// Turns a released <c>flownet.pkl</c> into the float32 safetensors file our graphs bind by name. The releases were
/// saved from a DistributedDataParallel wrapper, so every name starts with <c>module.</c>; the authors' loader
/// (<c>RIFE_HDv3.Model.load_model</c> with rank −1) drops that prefix, and so do we. Modules the authors mark as
/// unused at inference (<c>teacher</c>, <c>caltime</c>) are left out; any other name the graph does not bind is refused.
/// </summary>
public static class RifeWeights
{
    private static readonly string[] TrainingOnly = ["teacher.", "caltime."];

    /// <summary>The state dict's names (prefix dropped) and shapes.</summary>
    public static IReadOnlyDictionary<string, long[]> Shapes(TorchCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return Inference(checkpoint).ToDictionary(t => t.Name, t => t.Tensor.Shape, StringComparer.Ordinal);
    }

    /// <summary>Writes the inference weights to <paramref name="safetensorsPath"/> and returns the network's config.</summary>
    /// <exception cref="WeightFileException">The state dict is not a five-block IFNet, or holds names the graph does not use.</exception>
    public static IfNetConfig Convert(TorchCheckpoint checkpoint, string safetensorsPath)
    {
        var tensors = Inference(checkpoint);
        var config = IfNetConfig.Read(tensors.ToDictionary(t => t.Name, t => t.Tensor.Shape, StringComparer.Ordinal));
        var bound = IfNetModel.StateDict(config).ToDictionary(w => w.Name, w => w.Shape, StringComparer.Ordinal);
        var extra = tensors.Select(t => t.Name).Where(name => !bound.ContainsKey(name)).ToList();
        if (extra.Count > 0)
        {
            throw new WeightFileException($"{checkpoint.Path}: not a RIFE v4.25/v4.26 IFNet: it holds {extra.Count} weights the network does not have, e.g. '{extra[0]}'");
        }

        var missing = bound.Keys.Where(name => !tensors.Any(t => t.Name == name)).ToList();
        if (missing.Count > 0)
        {
            throw new WeightFileException($"{checkpoint.Path}: not a RIFE v4.25/v4.26 IFNet: weight '{missing[0]}' is missing");
        }

        SafetensorsWriter.Write(safetensorsPath, tensors.Select(t => SafetensorsWriter.Float32(t.Name, t.Tensor.ToFloat32(), t.Tensor.Shape)));
        return config;
    }

    private static List<(string Name, TorchTensor Tensor)> Inference(TorchCheckpoint checkpoint)
    {
        var prefixed = checkpoint.Tensors.Count > 0 && checkpoint.Tensors.All(t => t.Name.StartsWith("module.", StringComparison.Ordinal));
        return checkpoint.Tensors
            .Select(t => (Name: prefixed ? t.Name["module.".Length..] : t.Name, Tensor: t))
            .Where(t => !TrainingOnly.Any(prefix => t.Name.StartsWith(prefix, StringComparison.Ordinal)))
            .ToList();
    }
}
