namespace TurnLivePhotos.Engine.Weights.Torch;

/// <summary>
/// Bounds on what a PyTorch checkpoint may make the reader do: every count and size a file declares is checked
/// against these before anything is allocated, so a hostile file fails with a message instead of exhausting the
/// process. The defaults fit any state dict of the networks we load (RIFE's is ~20 MB with a few hundred tensors).
/// </summary>
public sealed record TorchCheckpointLimits
{
    /// <summary>Size of <c>data.pkl</c>.</summary>
    public long MaxPickleBytes { get; init; } = 16L * 1024 * 1024;

    /// <summary>All storages together, as loaded into memory.</summary>
    public long MaxStorageBytes { get; init; } = 1L * 1024 * 1024 * 1024;

    public int MaxTensors { get; init; } = 100_000;

    /// <summary>Pickle opcodes executed (bounds the time).</summary>
    public long MaxOpcodes { get; init; } = 10_000_000;

    /// <summary>Entries of the pickle memo.</summary>
    public int MaxMemo { get; init; } = 1_000_000;

    /// <summary>Values on the pickle stack at once.</summary>
    public int MaxStack { get; init; } = 100_000;

    /// <summary>Open MARKs at once, i.e. how deeply tuples and argument lists nest.</summary>
    public int MaxNesting { get; init; } = 64;

    /// <summary>Bytes of one string (a tensor name, a storage key).</summary>
    public int MaxStringBytes { get; init; } = 64 * 1024;

    /// <summary>Dimensions of one tensor.</summary>
    public int MaxRank { get; init; } = 16;
}
