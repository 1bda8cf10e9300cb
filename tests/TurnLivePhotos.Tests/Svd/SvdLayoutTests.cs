using TurnLivePhotos.Engine.Svd;
using TurnLivePhotos.Engine.Weights;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Svd;

/// <summary>The derived state-dict inventories: exact against the fixtures' real state dicts, and the documented sizes of img2vid-xt.</summary>
public sealed class SvdLayoutTests
{
    public static TheoryData<string> Sets => FixtureSets.All;

    [Theory]
    [MemberData(nameof(Sets))]
    public void Each_layout_matches_the_reference_state_dict_name_for_name_and_shape_for_shape(string set)
    {
        AssertSameLayout(set, "clip_vision", SvdLayout.ClipVision);
        AssertSameLayout(set, "vae", SvdLayout.Vae);
        AssertSameLayout(set, "unet", SvdLayout.Unet);
    }

    [Fact]
    public void The_img2vid_xt_layouts_have_the_documented_tensor_and_parameter_counts()
    {
        var unet = SvdLayout.Unet(ModelConfig.Parse(Img2VidXtConfigs.Unet, "unet"));
        var vae = SvdLayout.Vae(ModelConfig.Parse(Img2VidXtConfigs.Vae, "vae"));
        var clip = SvdLayout.ClipVision(ModelConfig.Parse(Img2VidXtConfigs.ImageEncoder, "image_encoder"));

        Assert.Equal((1428, 1_524_623_082L), Count(unet));
        Assert.Equal((374, 97_742_847L), Count(vae));
        Assert.Equal((520, 632_076_800L), Count(clip));
    }

    [Fact]
    public void The_img2vid_xt_configs_build_every_graph_through_the_same_code_as_the_fixtures()
    {
        using var temp = new TempFolder();
        var clip = BuildWith(temp, "clip", SvdLayout.ClipVision(ModelConfig.Parse(Img2VidXtConfigs.ImageEncoder, "clip")),
            weights => ClipVisionModel.Build(weights, ClipVisionModel.Config.From(ModelConfig.Parse(Img2VidXtConfigs.ImageEncoder, "clip"))));
        var vaeConfig = AutoencoderKLTemporalDecoder.Config.From(ModelConfig.Parse(Img2VidXtConfigs.Vae, "vae"));
        var vaeLayout = SvdLayout.Vae(ModelConfig.Parse(Img2VidXtConfigs.Vae, "vae"));
        var encoder = BuildWith(temp, "vae", vaeLayout, weights => AutoencoderKLTemporalDecoder.BuildEncoder(weights, vaeConfig));
        var decoder = BuildWith(temp, "vae", vaeLayout, weights => AutoencoderKLTemporalDecoder.BuildDecoder(weights, vaeConfig, frames: 8));
        var unetLayout = SvdLayout.Unet(ModelConfig.Parse(Img2VidXtConfigs.Unet, "unet"));
        var unet = BuildWith(temp, "unet", unetLayout, weights => UNetSpatioTemporalConditionModel.Build(
            weights, UNetSpatioTemporalConditionModel.Config.From(ModelConfig.Parse(Img2VidXtConfigs.Unet, "unet")), frames: 25, TurnLivePhotos.Engine.Onnx.Precision.Float16));

        Assert.Equal(520, clip.Weights.Count);
        Assert.Equal(vaeLayout.Count, encoder.Weights.Count + decoder.Weights.Count);
        Assert.Equal(unetLayout.Count, unet.Weights.Count);
        Assert.True(unet.Proto.Length < 4 * 1024 * 1024, $"the UNet protobuf is {unet.Proto.Length} bytes: weights must stay outside it");
    }

    private static TurnLivePhotos.Engine.Onnx.OnnxModel BuildWith(TempFolder temp, string name, List<(string Name, long[] Shape)> layout, Func<Checkpoint, TurnLivePhotos.Engine.Onnx.OnnxModel> build)
    {
        var path = temp[name + ".safetensors"];
        if (!File.Exists(path))
        {
            SafetensorsWriter.WriteZeros(path, layout.Select(t => (t.Name, WeightType.Float16, t.Shape)).ToList());
        }

        using var weights = Checkpoint.Open(path);
        return build(weights);
    }

    private static (int Tensors, long Parameters) Count(List<(string Name, long[] Shape)> layout) =>
        (layout.Count, layout.Sum(t => t.Shape.Aggregate(1L, (a, b) => a * b)));

    private static void AssertSameLayout(string set, string component, Func<ModelConfig, List<(string Name, long[] Shape)>> derive)
    {
        var folder = FixtureSets.Folder(set, component);
        using var weights = Checkpoint.Open(Path.Combine(folder, "weights.safetensors"));
        var derived = derive(ModelConfig.Load(Path.Combine(folder, "config.json"))).ToDictionary(t => t.Name, t => t.Shape);

        Assert.Equal(weights.Tensors.Keys.Order(StringComparer.Ordinal), derived.Keys.Order(StringComparer.Ordinal));
        Assert.All(weights.Tensors.Values, t => Assert.True(t.Shape.SequenceEqual(derived[t.Name]), $"{component} {t.Name}: [{string.Join(",", t.Shape)}] vs [{string.Join(",", derived[t.Name])}]"));
    }
}
