using TurnLivePhotos.Engine.Onnx;
using TurnLivePhotos.Engine.Rife;
using TurnLivePhotos.Engine.Weights;
using TurnLivePhotos.Engine.Weights.Torch;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Rife;

/// <summary>The IFNet graph against Practical-RIFE's own code on tiny random weights (Fixtures/rife-tiny).</summary>
public sealed class IfNetModelTests
{
    public static TheoryData<string> Layouts
    {
        get
        {
            var data = new TheoryData<string>();
            var folders = Directory.GetDirectories(Path.Combine(FixtureSets.Root, "rife-tiny")).Where(f => File.Exists(Path.Combine(f, "flownet.pkl"))).Order().ToList();
            Assert.NotEmpty(folders);
            folders.ForEach(f => data.Add(Path.GetFileName(f)));
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Every_block_flow_and_mask_and_the_frame_match_the_authors_code(string layout)
    {
        var folder = Path.Combine(FixtureSets.Root, "rife-tiny", layout);
        using var temp = new TempFolder();
        RifeWeights.Convert(TorchCheckpoint.Open(Path.Combine(folder, "flownet.pkl")), temp["flownet.safetensors"]);
        using var weights = Checkpoint.Open(temp["flownet.safetensors"]);
        using var io = Checkpoint.Open(Path.Combine(folder, "io.safetensors"));
        var config = IfNetConfig.Read(weights.Tensors.ToDictionary(t => t.Key, t => t.Value.Shape));
        using var network = OnnxNetwork.Create(IfNetModel.Build(weights, config, stages: true));

        var runs = io.Tensors.Keys.Where(k => k.EndsWith(".merged", StringComparison.Ordinal)).Select(k => k[..^".merged".Length]).Order().ToList();
        Assert.NotEmpty(runs);
        foreach (var run in runs)
        {
            var caseName = run[..run.IndexOf(".t", StringComparison.Ordinal)];
            var timestep = float.Parse(run[(caseName.Length + 2)..], System.Globalization.CultureInfo.InvariantCulture);
            var img0 = FixtureSets.Read(io, $"{caseName}.img0");
            var img1 = FixtureSets.Read(io, $"{caseName}.img1");
            int height = (int)img0.Shape[2], width = (int)img0.Shape[3];
            var outputs = network.Run(new Dictionary<string, FloatTensor>
            {
                ["img0"] = RifeInterpolator.Pad(Planes(img0), height, width),
                ["img1"] = RifeInterpolator.Pad(Planes(img1), height, width),
                ["timestep"] = new([timestep], [1, 1, 1, 1]),
            });
            for (var i = 0; i < IfNetConfig.BlockCount; i++)
            {
                FixtureSets.AssertClose(FixtureSets.Read(io, $"{run}.flow{i}"), outputs[$"flow{i}"], 1e-4, $"{layout} {run}.flow{i}");
                FixtureSets.AssertClose(FixtureSets.Read(io, $"{run}.mask{i}"), outputs[$"mask{i}"], 1e-4, $"{layout} {run}.mask{i}");
            }

            var frame = RifeInterpolator.Crop(outputs["frame"], height, width);
            FixtureSets.AssertClose(Planes(FixtureSets.Read(io, $"{run}.merged")), frame, 1e-4, $"{layout} {run}.merged");
        }
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void The_interpolator_pads_runs_and_crops_back_to_the_authors_frame(string layout)
    {
        var folder = Path.Combine(FixtureSets.Root, "rife-tiny", layout);
        using var temp = new TempFolder();
        using var io = Checkpoint.Open(Path.Combine(folder, "io.safetensors"));
        using var rife = RifeInterpolator.Open(Path.Combine(folder, "flownet.pkl"), temp.Path, releasedOnly: false);
        foreach (var run in io.Tensors.Keys.Where(k => k.EndsWith(".merged", StringComparison.Ordinal)).Select(k => k[..^".merged".Length]))
        {
            var caseName = run[..run.IndexOf(".t", StringComparison.Ordinal)];
            var timestep = float.Parse(run[(caseName.Length + 2)..], System.Globalization.CultureInfo.InvariantCulture);
            var frame = rife.Interpolate(Planes(FixtureSets.Read(io, $"{caseName}.img0")), Planes(FixtureSets.Read(io, $"{caseName}.img1")), timestep);
            FixtureSets.AssertClose(Planes(FixtureSets.Read(io, $"{run}.merged")), frame, 1e-4, $"{layout} {run}");
        }
    }

    [Fact]
    public void The_released_layouts_are_recognised_and_others_refused_with_what_differs()
    {
        var released = IfNetModel.StateDict(new IfNetConfig(4, IfNetConfig.ReleasedWidths)).ToDictionary(w => w.Name, w => w.Shape);
        Assert.Equal(IfNetLayout.FourChannelHead, IfNetConfig.Read(released).Identify());
        var sixteen = IfNetModel.StateDict(new IfNetConfig(16, IfNetConfig.ReleasedWidths)).ToDictionary(w => w.Name, w => w.Shape);
        Assert.Equal(IfNetLayout.SixteenChannelHead, IfNetConfig.Read(sixteen).Identify());

        var fourBlocks = released.Where(w => !w.Key.StartsWith("block4.", StringComparison.Ordinal)).ToDictionary();
        Assert.Contains("it has 4 IFBlocks", Assert.Throws<WeightFileException>(() => IfNetConfig.Read(fourBlocks)).Message, StringComparison.Ordinal);
        var noHead = released.Where(w => !w.Key.StartsWith("encode.", StringComparison.Ordinal)).ToDictionary();
        Assert.Contains("no feature head", Assert.Throws<WeightFileException>(() => IfNetConfig.Read(noHead)).Message, StringComparison.Ordinal);
        var heavy = IfNetModel.StateDict(new IfNetConfig(4, [384, 256, 192, 128, 64])).ToDictionary(w => w.Name, w => w.Shape);
        Assert.Contains("384/256/192/128/64", Assert.Throws<WeightFileException>(() => IfNetConfig.Read(heavy).Identify()).Message, StringComparison.Ordinal);
        var eight = IfNetModel.StateDict(new IfNetConfig(8, IfNetConfig.ReleasedWidths)).ToDictionary(w => w.Name, w => w.Shape);
        Assert.Contains("gives 8 channels", Assert.Throws<WeightFileException>(() => IfNetConfig.Read(eight).Identify()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_tiny_fixture_networks_are_not_taken_for_releases()
    {
        using var temp = new TempFolder();
        var pkl = Path.Combine(FixtureSets.Root, "rife-tiny", "head4", "flownet.pkl");
        Assert.Contains("channels wide", Assert.Throws<WeightFileException>(() => RifeInterpolator.Open(pkl, temp.Path)).Message, StringComparison.Ordinal);
    }

    /// <summary>(1, 3, H, W) → (3, H, W): the interpolator's frames are single images.</summary>
    private static FloatTensor Planes(FloatTensor batch) => new(batch.Data, batch.Shape[1..]);
}
