namespace TurnLivePhotos.Engine.Weights;

/// <summary>
/// A weight source that binds nothing: it records each weight a builder declares (name and shape, in declaration
/// order). Running a network's builders against it gives that config's state-dict inventory — for synthetic
/// checkpoints, and to check the builders against real state dicts. One inventory may record several graphs of
/// one checkpoint (the VAE's encoder and decoder); a name declared twice must keep its shape.
/// </summary>
public sealed class WeightInventory : IWeightSource
{
    private readonly List<WeightShape> entries = [];
    private readonly Dictionary<string, long[]> shapes = new(StringComparer.Ordinal);

    public IReadOnlyList<WeightShape> Entries => entries;

    public long ParameterCount => entries.Sum(entry => entry.ElementCount);

    public WeightTensor? Bind(string name, long[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shapes.TryGetValue(name, out var known))
        {
            return known.SequenceEqual(shape)
                ? null
                : throw new InvalidOperationException($"weight '{name}' declared as [{string.Join(", ", known)}] and as [{string.Join(", ", shape)}]");
        }

        shapes[name] = [.. shape];
        entries.Add(new WeightShape(name, [.. shape]));
        return null;
    }
}
