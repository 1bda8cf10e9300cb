namespace TurnLivePhotos.Engine.Weights;

/// <summary>
/// Where a graph's named weights come from. The network builders declare every weight they use by its dotted
/// state-dict name and the shape diffusers' constructors give it; a source either binds the declaration to a
/// stored tensor (<see cref="Checkpoint"/>) or only writes it down (<see cref="WeightInventory"/>). So the module
/// tree is written once, in the builders, and the inventory of a config is whatever the builders ask for.
/// </summary>
public interface IWeightSource
{
    /// <summary>The stored tensor for a declared weight, or null when the source only records declarations.</summary>
    /// <exception cref="WeightFileException">The weight is missing or stored with another shape.</exception>
    WeightTensor? Bind(string name, long[] shape);
}

/// <summary>One entry of a state dict: a dotted weight name and its shape.</summary>
public sealed record WeightShape(string Name, long[] Shape)
{
    public long ElementCount => Shape.Aggregate(1L, (product, dim) => product * dim);
}
