using System.Text.Json;
using TurnLivePhotos.Engine.Depth;
using TurnLivePhotos.Engine.Weights;

namespace TurnLivePhotos.Tests.Depth;

public sealed class DepthAnythingConfigTests
{
    /// <summary>The key set of the hub's Depth-Anything-V2-Small-hf config.json: everything else is a transformers default.</summary>
    private const string SmallConfig = """
        {"architectures": ["DepthAnythingForDepthEstimation"],
         "backbone_config": {"architectures": ["Dinov2Model"], "hidden_size": 384, "image_size": 518, "model_type": "dinov2",
           "num_attention_heads": 6, "out_features": ["stage9", "stage10", "stage11", "stage12"], "out_indices": [9, 10, 11, 12],
           "patch_size": 14, "reshape_hidden_states": false, "torch_dtype": "float32"},
         "fusion_hidden_size": 64, "head_hidden_size": 32, "head_in_index": -1, "initializer_range": 0.02, "model_type": "depth_anything",
         "neck_hidden_sizes": [48, 96, 192, 384], "patch_size": 14, "reassemble_factors": [4, 2, 1, 0.5], "reassemble_hidden_size": 384,
         "torch_dtype": "float32", "transformers_version": null, "use_pretrained_backbone": false}
        """;

    [Fact]
    public void Absent_keys_take_the_transformers_defaults()
    {
        var config = Parse(SmallConfig);
        Assert.Equal(12, config.Backbone.Layers);                 // Dinov2Config default, not in the file
        Assert.Equal(1536, config.Backbone.MlpHidden);            // mlp_ratio 4
        Assert.Equal(1e-6f, config.Backbone.LayerNormEps);
        Assert.Equal("gelu", config.Backbone.HiddenAct);
        Assert.True(config.Backbone.QkvBias);
        Assert.Equal(DepthEstimationType.Relative, config.DepthEstimationType);
        Assert.Equal(1f, config.MaxDepth);
        Assert.Equal([9, 10, 11, 12], config.Backbone.OutIndices);
    }

    [Fact]
    public void Out_features_alone_name_the_stages()
    {
        var config = Parse(SmallConfig.Replace("\"out_indices\": [9, 10, 11, 12],", string.Empty, StringComparison.Ordinal));
        Assert.Equal([9, 10, 11, 12], config.Backbone.OutIndices);
    }

    [Theory]
    [InlineData("\"model_type\": \"dinov2\"", "\"model_type\": \"dinov2_with_registers\"", "backbone_config.model_type")]
    [InlineData("\"patch_size\": 14, \"reshape", "\"use_swiglu_ffn\": true, \"patch_size\": 14, \"reshape", "backbone_config.use_swiglu_ffn")]
    [InlineData("\"fusion_hidden_size\": 64", "\"fusion_hidden_size\": \"64\"", "fusion_hidden_size")]
    [InlineData("\"neck_hidden_sizes\": [48, 96, 192, 384]", "\"neck_hidden_sizes\": [48, 96, 192]", "neck_hidden_sizes")]
    [InlineData("\"use_pretrained_backbone\": false", "\"backbone\": \"vit_small\"", "backbone")]
    public void Anything_unsupported_is_one_line_naming_the_key(string from, string to, string key)
    {
        var json = SmallConfig.Replace(from, to, StringComparison.Ordinal);
        Assert.NotEqual(SmallConfig, json);
        var error = Assert.Throws<WeightFileException>(() => Parse(json));
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
        Assert.Contains("config.json", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    private static DepthAnythingConfig Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return DepthAnythingConfig.Parse(document.RootElement, "Depth-Anything-V2-Small-hf/config.json");
    }
}
