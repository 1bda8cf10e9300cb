using TurnLivePhotos.Engine.Weights;

namespace TurnLivePhotos.Engine.Svd;

/// <summary>
/// Checks a UNet weight file meant to replace the model folder's (AnimateLCM-SVD-xt and similar fine-tunes ship
/// only the UNet, in diffusers' names) against the state dict the folder's unet/config.json describes: every
/// name present, none extra, every shape equal. Reading the names and shapes costs only the file's header.
/// </summary>
public static class UNetWeightsCheck
{
    /// <exception cref="WeightFileException">The file is missing, unreadable or does not fit; one line saying how.</exception>
    public static void Verify(string weightsPath, string unetConfigPath)
    {
        if (!File.Exists(weightsPath))
        {
            throw new WeightFileException($"UNet weights {weightsPath}: no such file");
        }

        var expected = UNetSpatioTemporalConditionModel.StateDict(UNetSpatioTemporalConditionModel.Config.From(ModelConfig.Load(unetConfigPath))).ToDictionary(t => t.Name, t => t.Shape, StringComparer.Ordinal);
        using var checkpoint = Checkpoint.Open(weightsPath);
        var missing = expected.Keys.Where(name => !checkpoint.Contains(name)).Order(StringComparer.Ordinal).ToList();
        var extra = checkpoint.Tensors.Keys.Where(name => !expected.ContainsKey(name)).Order(StringComparer.Ordinal).ToList();
        var reshaped = expected.Where(t => checkpoint.Contains(t.Key) && !checkpoint[t.Key].Shape.SequenceEqual(t.Value))
            .OrderBy(t => t.Key, StringComparer.Ordinal)
            .Select(t => $"{t.Key} is [{string.Join(", ", checkpoint[t.Key].Shape)}], expected [{string.Join(", ", t.Value)}]")
            .ToList();
        if (missing.Count + extra.Count + reshaped.Count == 0)
        {
            return;
        }

        var problems = new List<string>();
        if (missing.Count > 0)
        {
            problems.Add($"{missing.Count} of {expected.Count} tensors missing (first: {missing[0]})");
        }

        if (extra.Count > 0)
        {
            problems.Add($"{extra.Count} unexpected tensors (first: {extra[0]})");
        }

        if (reshaped.Count > 0)
        {
            problems.Add($"{reshaped.Count} with another shape (first: {reshaped[0]})");
        }

        throw new WeightFileException($"UNet weights {checkpoint.Path} do not fit the UNet of {Path.GetFullPath(unetConfigPath)}: {string.Join("; ", problems)}");
    }
}
