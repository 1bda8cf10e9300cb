using TurnLivePhotos.Engine.Weights;

namespace TurnLivePhotos.Engine.Rife;

/// <summary>The IFNet layouts we build; both are Practical-RIFE's five-block IFNet_HDv3 (v4.25 onwards).</summary>
public enum IfNetLayout
{
    /// <summary>The released v4.25 and v4.26 files: a 4-channel feature head (block0 takes 7 + 8 channels). The two releases differ only in training.</summary>
    FourChannelHead,

    /// <summary>The layout of <c>train_log/IFNet_HDv3.py</c> in the authors' repository (commit f7edc95): a 16-channel feature head.</summary>
    SixteenChannelHead,
}

/// <summary>
/// The sizes of a five-block IFNet as read from its state dict (Practical-RIFE <c>train_log/IFNet_HDv3.py</c>):
/// the channels of the feature head's output (<c>encode.cnn3</c>, a ConvTranspose2d whose weight is
/// (in, out, 4, 4)) and each IFBlock's width <c>c</c> (<c>block{i}.conv0.1.0.weight</c> is (c, c/2, 3, 3)).
/// </summary>
public sealed record IfNetConfig(int HeadChannels, IReadOnlyList<int> BlockWidths)
{
    public const int BlockCount = 5;

    /// <summary>The released networks' block widths (IFBlock c = 192, 128, 96, 64, 32).</summary>
    public static readonly IReadOnlyList<int> ReleasedWidths = [192, 128, 96, 64, 32];

    /// <summary>Input channels of block0: both images, both feature maps, the timestep plane.</summary>
    public int FirstBlockInputs => 7 + (2 * HeadChannels);

    /// <summary>Input channels of the later blocks: warped images and features, timestep, mask, 8 feature channels, the 4-channel flow.</summary>
    public int LaterBlockInputs => 8 + 4 + 8 + (2 * HeadChannels);

    /// <summary>
    /// The config a state dict describes, after checking every shape the graph will bind is consistent with it;
    /// a state dict of another RIFE generation is refused with one line saying what differs.
    /// </summary>
    public static IfNetConfig Read(IReadOnlyDictionary<string, long[]> shapes)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        var blocks = Enumerable.Range(0, 10).Count(i => shapes.ContainsKey($"block{i}.conv0.1.0.weight"));
        if (!shapes.TryGetValue("encode.cnn3.weight", out var head) || head.Length != 4)
        {
            throw new WeightFileException("not a RIFE v4.25/v4.26 IFNet: it has no feature head 'encode.cnn3.weight' (RIFE 4.6 and older have none)");
        }

        if (blocks != BlockCount || shapes.ContainsKey($"block{BlockCount}.conv0.1.0.weight"))
        {
            throw new WeightFileException($"not a RIFE v4.25/v4.26 IFNet: it has {blocks} IFBlocks where v4.25/v4.26 have {BlockCount} (4 blocks is RIFE 4.24 or older)");
        }

        var widths = Enumerable.Range(0, BlockCount).Select(i => (int)shapes[$"block{i}.conv0.1.0.weight"][0]).ToArray();
        return new IfNetConfig((int)head[1], widths);
    }

    /// <summary>Which release this is; anything but the released widths and heads is refused, naming the difference.</summary>
    public IfNetLayout Identify()
    {
        if (!BlockWidths.SequenceEqual(ReleasedWidths))
        {
            throw new WeightFileException(
                $"not a RIFE v4.25/v4.26 IFNet: its blocks are {string.Join("/", BlockWidths)} channels wide where the releases have {string.Join("/", ReleasedWidths)} (a .lite or .heavy variant?)");
        }

        return HeadChannels switch
        {
            4 => IfNetLayout.FourChannelHead,
            16 => IfNetLayout.SixteenChannelHead,
            _ => throw new WeightFileException($"not a RIFE v4.25/v4.26 IFNet: its feature head gives {HeadChannels} channels where the releases give 4 (or 16)"),
        };
    }
}
