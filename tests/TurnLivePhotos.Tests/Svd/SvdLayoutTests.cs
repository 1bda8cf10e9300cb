using TurnLivePhotos.Bench;
using TurnLivePhotos.Engine.Onnx;
using TurnLivePhotos.Engine.Svd;
using TurnLivePhotos.Engine.Weights;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Svd;

/// <summary>
/// The state-dict inventories the builders declare (recorded by running them against a <see cref="WeightInventory"/>):
/// exact against the fixtures' real state dicts, and the documented sizes of img2vid-xt.
/// </summary>
public sealed class SvdLayoutTests
{
    public static TheoryData<string> Sets => FixtureSets.All;

    [Theory]
    [MemberData(nameof(Sets))]
    public void Each_recorded_inventory_matches_the_reference_state_dict_name_for_name_and_shape_for_shape(string set)
    {
        AssertSameLayout(set, "clip_vision", json => ClipVisionModel.StateDict(ClipVisionModel.Config.From(json)));
        AssertSameLayout(set, "vae", json => AutoencoderKLTemporalDecoder.StateDict(AutoencoderKLTemporalDecoder.Config.From(json)));
        AssertSameLayout(set, "unet", json => UNetSpatioTemporalConditionModel.StateDict(UNetSpatioTemporalConditionModel.Config.From(json)));
    }

    [Fact]
    public void The_img2vid_xt_inventories_have_the_documented_tensor_and_parameter_counts()
    {
        Assert.Equal((1428, 1_524_623_082L), Count(SyntheticModel.UnetLayout()));
        Assert.Equal((374, 97_742_847L), Count(SyntheticModel.VaeLayout()));
        Assert.Equal((520, 632_076_800L), Count(SyntheticModel.ImageEncoderLayout()));
    }

    [Fact]
    public void The_img2vid_xt_configs_build_every_graph_through_the_same_code_as_the_fixtures()
    {
        using var temp = new TempFolder();
        var clipConfig = ClipVisionModel.Config.From(ModelConfig.Parse(Img2VidXtConfigs.ImageEncoder, "clip"));
        var clip = BuildWith(temp, "clip", SyntheticModel.ImageEncoderLayout(), weights => ClipVisionModel.Build(weights, clipConfig));
        var vaeConfig = AutoencoderKLTemporalDecoder.Config.From(ModelConfig.Parse(Img2VidXtConfigs.Vae, "vae"));
        var vaeLayout = SyntheticModel.VaeLayout();
        var encoder = BuildWith(temp, "vae", vaeLayout, weights => AutoencoderKLTemporalDecoder.BuildEncoder(weights, vaeConfig));
        var decoder = BuildWith(temp, "vae", vaeLayout, weights => AutoencoderKLTemporalDecoder.BuildDecoder(weights, vaeConfig, frames: 8));
        var unetLayout = SyntheticModel.UnetLayout();
        var unet = BuildWith(temp, "unet", unetLayout, weights => UNetSpatioTemporalConditionModel.Build(
            weights, UNetSpatioTemporalConditionModel.Config.From(ModelConfig.Parse(Img2VidXtConfigs.Unet, "unet")), frames: 25, Precision.Float16));

        Assert.Equal(520, clip.Weights.Count);
        Assert.Equal(vaeLayout.Count, encoder.Weights.Count + decoder.Weights.Count);
        Assert.Equal(unetLayout.Count, unet.Weights.Count);
        Assert.True(unet.Proto.Length < 4 * 1024 * 1024, $"the UNet protobuf is {unet.Proto.Length} bytes: weights must stay outside it");
    }

    [Fact]
    public void A_checkpoint_whose_tensor_has_another_shape_than_the_config_gives_fails_naming_the_weight()
    {
        using var temp = new TempFolder();
        var config = ClipVisionModel.Config.From(ModelConfig.Parse(Img2VidXtConfigs.ImageEncoder, "clip"));
        var layout = ClipVisionModel.StateDict(config)
            .Select(t => t.Name == "visual_projection.weight" ? t with { Shape = [t.Shape[0] / 2, t.Shape[1]] } : t).ToList();

        var error = Assert.Throws<WeightFileException>(() => BuildWith(temp, "clip", layout, weights => ClipVisionModel.Build(weights, config)));

        Assert.Contains("'visual_projection.weight' has shape [512, 1280], the config gives [1024, 1280]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_graph_built_against_an_inventory_cannot_be_turned_into_a_model()
    {
        var graph = new GraphBuilder(new WeightInventory());
        graph.Output(new Linear(graph, "fc", 3, 2).Forward(graph.Input("x", null, 3)), "y");

        Assert.Throws<InvalidOperationException>(() => graph.Build("recorded"));
    }

    internal static OnnxModel BuildWith(TempFolder temp, string name, IReadOnlyList<WeightShape> layout, Func<Checkpoint, OnnxModel> build)
    {
        var path = temp[name + ".safetensors"];
        if (!File.Exists(path))
        {
            SafetensorsWriter.WriteZeros(path, layout.Select(t => (t.Name, WeightType.Float16, t.Shape)).ToList());
        }

        using var weights = Checkpoint.Open(path);
        return build(weights);
    }

    private static (int Tensors, long Parameters) Count(IReadOnlyList<WeightShape> layout) =>
        (layout.Count, layout.Sum(t => t.ElementCount));

    private static void AssertSameLayout(string set, string component, Func<ModelConfig, IReadOnlyList<WeightShape>> derive)
    {
        var folder = FixtureSets.Folder(set, component);
        using var weights = Checkpoint.Open(Path.Combine(folder, "weights.safetensors"));
        var recorded = derive(ModelConfig.Load(Path.Combine(folder, "config.json")));
        var derived = recorded.ToDictionary(t => t.Name, t => t.Shape);

        Assert.Equal(recorded.Count, derived.Count);
        Assert.Equal(weights.Tensors.Keys.Order(StringComparer.Ordinal), derived.Keys.Order(StringComparer.Ordinal));
        Assert.All(weights.Tensors.Values, t => Assert.True(t.Shape.SequenceEqual(derived[t.Name]), $"{component} {t.Name}: [{string.Join(",", t.Shape)}] vs [{string.Join(",", derived[t.Name])}]"));
    }
}
