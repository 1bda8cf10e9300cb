using TurnLivePhotos.Engine.Weights;

namespace TurnLivePhotos.Engine.Svd;

/// <summary>
/// A single-file SVD checkpoint in Stability's original layout (svd_xt.safetensors and the like), mapped once and
/// bound to the three networks by <see cref="StabilityNames"/>: every weight a builder declares is looked up under
/// its original key and handed out as a view of the mapped file — the same bytes, reshaped (1×1 conv kernels), a
/// third of a fused tensor (OpenCLIP's q/k/v) or marked transposed (OpenCLIP's projection). Nothing is converted or
/// written. The file also holds what SVD does not run (the first stage's own encoder, EMA copies); those keys are
/// simply never asked for.
/// </summary>
public sealed class StabilityCheckpoint : IDisposable
{
    private readonly SafetensorsFile file;

    private StabilityCheckpoint(SafetensorsFile file) => this.file = file;

    public string Path => file.Path;

    /// <exception cref="WeightFileException">Not a safetensors file, or not in the Stability SVD layout (the message names the expected keys).</exception>
    public static StabilityCheckpoint Open(string path)
    {
        var file = SafetensorsFile.Open(path);
        try
        {
            var missing = MissingPrefixes(file.Tensors.Keys);
            if (missing.Count > 0)
            {
                throw new WeightFileException(
                    $"{file.Path} is not a Stable Video Diffusion checkpoint in Stability's layout: expected keys under {string.Join(", ", StabilityNames.RequiredPrefixes.Select(p => p + "*"))}; none under {string.Join(", ", missing)}");
            }

            return new StabilityCheckpoint(file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The required key prefixes a file's tensor names lack.</summary>
    public static IReadOnlyList<string> MissingPrefixes(IEnumerable<string> keys)
    {
        var names = keys.ToList();
        return StabilityNames.RequiredPrefixes.Where(prefix => !names.Any(name => name.StartsWith(prefix, StringComparison.Ordinal))).ToList();
    }

    /// <summary>The weights of one network, for builders with these configs.</summary>
    public IWeightSource For(SvdNetwork network, UNetSpatioTemporalConditionModel.Config unet, AutoencoderKLTemporalDecoder.Config vae) =>
        new NetworkWeights(this, network, unet, vae);

    public void Dispose() => file.Dispose();

    private WeightTensor Bind(SvdNetwork network, string name, long[] shape, UNetSpatioTemporalConditionModel.Config unet, AutoencoderKLTemporalDecoder.Config vae)
    {
        var key = StabilityNames.For(network, name, unet, vae);
        if (!file.Tensors.TryGetValue(key.Key, out var stored))
        {
            throw new WeightFileException($"{file.Path}: missing '{key.Key}' (the {network} weight '{name}')");
        }

        var declared = shape.Aggregate(1L, (product, dim) => product * dim);
        WeightFileException Mismatch() =>
            new($"{file.Path}: '{key.Key}' has shape [{string.Join(", ", stored.Shape)}], the config gives [{string.Join(", ", shape)}] for '{name}'");
        switch (key.StoredAs)
        {
            case StoredAs.Same when stored.Shape.SequenceEqual(shape):
            case StoredAs.Reshaped when stored.ElementCount == declared:
                return stored with { Name = name, Shape = [.. shape] };
            case StoredAs.ThirdOf when stored.Shape.Length == shape.Length && stored.Shape[0] == 3 * shape[0] && stored.Shape[1..].SequenceEqual(shape[1..]):
                var third = stored.ByteLength / 3;
                return stored with { Name = name, Shape = [.. shape], Offset = stored.Offset + (key.Part * third), ByteLength = third };
            case StoredAs.Transposed when shape.Length == 2 && stored.Shape.SequenceEqual(new[] { shape[1], shape[0] }):
                return stored with { Name = name, Shape = [.. shape], StoredTransposed = true };
            default:
                throw Mismatch();
        }
    }

    private sealed class NetworkWeights(StabilityCheckpoint checkpoint, SvdNetwork network, UNetSpatioTemporalConditionModel.Config unet, AutoencoderKLTemporalDecoder.Config vae) : IWeightSource
    {
        public WeightTensor? Bind(string name, long[] shape) => checkpoint.Bind(network, name, shape, unet, vae);
    }
}
