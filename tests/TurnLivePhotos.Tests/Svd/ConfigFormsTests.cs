using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using TurnLivePhotos.Engine.Onnx;
using TurnLivePhotos.Engine.Svd;
using TurnLivePhotos.Engine.Weights;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Svd;

/// <summary>
/// Every config form diffusers (and transformers) accept, on tiny configs of our own: ints or per-block lists for
/// layers_per_block, cross_attention_dim and num_attention_heads; transformer_layers_per_block as an int, a list
/// per block or per-layer lists (read reversed by the up blocks). The recorded state dict must follow diffusers'
/// construction rules; an int must build the same network as that int written out per block; the graphs must
/// build and run; values of the wrong shape or length are one error line naming the key.
/// </summary>
public sealed class ConfigFormsTests
{
    private const string TinyUnet = """
        {"_class_name": "UNetSpatioTemporalConditionModel", "addition_time_embed_dim": 8, "block_out_channels": [32, 64],
         "cross_attention_dim": 16, "down_block_types": ["CrossAttnDownBlockSpatioTemporal", "CrossAttnDownBlockSpatioTemporal"],
         "in_channels": 8, "layers_per_block": 2, "num_attention_heads": [2, 4], "out_channels": 4,
         "projection_class_embeddings_input_dim": 24, "transformer_layers_per_block": 1,
         "up_block_types": ["CrossAttnUpBlockSpatioTemporal", "CrossAttnUpBlockSpatioTemporal"]}
        """;

    private const string TinyVae = """
        {"_class_name": "AutoencoderKLTemporalDecoder", "block_out_channels": [32, 64], "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D"],
         "in_channels": 3, "latent_channels": 4, "layers_per_block": 2, "out_channels": 3}
        """;

    private const string TinyClip = """
        {"hidden_act": "gelu", "hidden_size": 32, "image_size": 32, "intermediate_size": 48, "num_attention_heads": 4,
         "num_channels": 3, "num_hidden_layers": 2, "patch_size": 8, "projection_dim": 12}
        """;

    public static TheoryData<string> UnetForms => new()
    {
        """{"layers_per_block": 1, "cross_attention_dim": 24, "num_attention_heads": 2, "transformer_layers_per_block": 2}""",
        """{"layers_per_block": [1, 2], "cross_attention_dim": [16, 24], "num_attention_heads": [2, 4], "transformer_layers_per_block": [2, 1]}""",
        """{"layers_per_block": [2, 1], "cross_attention_dim": [24, 16], "num_attention_heads": [4, 2], "transformer_layers_per_block": [[1, 2, 3], [3, 1]]}""",
        """{"layers_per_block": [1, 2], "transformer_layers_per_block": [[2, 1], [1, 3, 2]], "down_block_types": ["DownBlockSpatioTemporal", "CrossAttnDownBlockSpatioTemporal"]}""",
    };

    [Theory]
    [MemberData(nameof(UnetForms))]
    public void The_unet_state_dict_follows_diffusers_construction_rules_for_every_form(string overrides)
    {
        var json = Json(TinyUnet, overrides);
        var config = UNetSpatioTemporalConditionModel.Config.From(ModelConfig.Parse(json.ToJsonString(), "unet"));
        var layout = UNetSpatioTemporalConditionModel.StateDict(config).ToDictionary(t => t.Name, t => t.Shape);
        var blocks = json["block_out_channels"]!.AsArray().Select(c => (int)c!).ToArray();
        var n = blocks.Length;
        var layers = PerBlock(json["layers_per_block"]!, n);
        var cross = PerBlock(json["cross_attention_dim"]!, n);
        var down = json["down_block_types"]!.AsArray().Select(t => ((string)t!).StartsWith("CrossAttn", StringComparison.Ordinal)).ToArray();
        var up = json["up_block_types"]!.AsArray().Select(t => ((string)t!).StartsWith("CrossAttn", StringComparison.Ordinal)).ToArray();

        // diffusers: down block i has layers_per_block[i] res blocks; up block i reads the values of down block
        // n-1-i and has one more; a transformer after each res block of a CrossAttn block, with
        // transformer_layers_per_block[i][j] transformer blocks (an int per block: the same for each layer).
        for (var i = 0; i < n; i++)
        {
            Assert.Equal(layers[i], Count(layout.Keys, $@"^down_blocks\.{i}\.resnets\.(\d+)\."));
            Assert.Equal(down[i] ? layers[i] : 0, Count(layout.Keys, $@"^down_blocks\.{i}\.attentions\.(\d+)\."));
            for (var j = 0; j < layers[i] && down[i]; j++)
            {
                Assert.Equal(Depth(json, i, j), Count(layout.Keys, $@"^down_blocks\.{i}\.attentions\.{j}\.transformer_blocks\.(\d+)\."));
                Assert.Equal(Depth(json, i, j), Count(layout.Keys, $@"^down_blocks\.{i}\.attentions\.{j}\.temporal_transformer_blocks\.(\d+)\."));
                Assert.Equal([blocks[i], cross[i]], layout[$"down_blocks.{i}.attentions.{j}.transformer_blocks.0.attn2.to_k.weight"]);
                Assert.Equal([blocks[i], cross[i]], layout[$"down_blocks.{i}.attentions.{j}.temporal_transformer_blocks.0.attn2.to_v.weight"]);
            }

            var source = n - 1 - i;
            Assert.Equal(layers[source] + 1, Count(layout.Keys, $@"^up_blocks\.{i}\.resnets\.(\d+)\."));
            Assert.Equal(up[i] ? layers[source] + 1 : 0, Count(layout.Keys, $@"^up_blocks\.{i}\.attentions\.(\d+)\."));
            for (var j = 0; j <= layers[source] && up[i]; j++)
            {
                Assert.Equal(Depth(json, source, j), Count(layout.Keys, $@"^up_blocks\.{i}\.attentions\.{j}\.transformer_blocks\.(\d+)\."));
                Assert.Equal([blocks[source], cross[source]], layout[$"up_blocks.{i}.attentions.{j}.transformer_blocks.0.attn2.to_k.weight"]);
            }

            // Up block i, layer j: input = previous output (or the block below's) + the skip it pops.
            var skipIn = blocks[Math.Max(source - 1, 0)];
            var previous = i == 0 ? blocks[^1] : blocks[source + 1];
            Assert.Equal([blocks[source], previous + blocks[source], 3, 3], layout[$"up_blocks.{i}.resnets.0.spatial_res_block.conv1.weight"]);
            Assert.Equal([blocks[source], blocks[source] + skipIn, 3, 3], layout[$"up_blocks.{i}.resnets.{layers[source]}.spatial_res_block.conv1.weight"]);
        }

        // The mid block: transformer_layers_per_block[-1] (its first entry when a per-layer list), cross_attention_dim[-1].
        Assert.Equal(Depth(json, n - 1, 0), Count(layout.Keys, @"^mid_block\.attentions\.0\.transformer_blocks\.(\d+)\."));
        Assert.Equal([blocks[^1], cross[^1]], layout["mid_block.attentions.0.transformer_blocks.0.attn2.to_k.weight"]);
    }

    public static TheoryData<string, string> EquivalentUnetForms => new()
    {
        { """{"layers_per_block": 1}""", """{"layers_per_block": [1, 1]}""" },
        { """{"num_attention_heads": 4}""", """{"num_attention_heads": [4, 4]}""" },
        { """{"cross_attention_dim": 16}""", """{"cross_attention_dim": [16, 16]}""" },
        { """{"transformer_layers_per_block": 2}""", """{"transformer_layers_per_block": [2, 2]}""" },
        { """{"transformer_layers_per_block": [2, 1]}""", """{"transformer_layers_per_block": [[2, 2, 2], [1, 1, 1]]}""" },
    };

    [Theory]
    [MemberData(nameof(EquivalentUnetForms))]
    public void An_int_builds_the_same_unet_as_that_int_written_out_per_block_or_per_layer(string shortForm, string longForm)
    {
        using var temp = new TempFolder();
        var (shortLayout, shortOutput) = RunUnet(temp, "short", Json(TinyUnet, shortForm));
        var (longLayout, longOutput) = RunUnet(temp, "long", Json(TinyUnet, longForm));

        Assert.Equal(shortLayout.Select(t => (t.Name, string.Join(",", t.Shape))), longLayout.Select(t => (t.Name, string.Join(",", t.Shape))));
        Assert.Equal(shortOutput.Data, longOutput.Data);
    }

    [Fact]
    public void A_per_block_list_of_transformer_layers_is_not_read_as_one()
    {
        using var temp = new TempFolder();
        var (twoLayout, twoOutput) = RunUnet(temp, "two", Json(TinyUnet, """{"transformer_layers_per_block": [2, 2]}"""));
        var (oneLayout, oneOutput) = RunUnet(temp, "one", Json(TinyUnet, """{"transformer_layers_per_block": 1}"""));

        Assert.Contains(twoLayout, t => t.Name == "mid_block.attentions.0.transformer_blocks.1.attn1.to_q.weight");
        Assert.DoesNotContain(oneLayout, t => t.Name == "mid_block.attentions.0.transformer_blocks.1.attn1.to_q.weight");
        Assert.NotEqual(oneOutput.Data, twoOutput.Data);
    }

    [Fact]
    public void Per_block_heads_change_the_network_that_runs()
    {
        using var temp = new TempFolder();
        var (_, twoHeads) = RunUnet(temp, "a", Json(TinyUnet, """{"num_attention_heads": [2, 2]}"""));
        var (_, fourHeads) = RunUnet(temp, "b", Json(TinyUnet, """{"num_attention_heads": [2, 4]}"""));

        Assert.NotEqual(twoHeads.Data, fourHeads.Data);
    }

    [Theory]
    [MemberData(nameof(UnetForms))]
    public void Every_unet_form_whose_context_width_is_one_builds_and_runs(string overrides)
    {
        // diffusers feeds one encoder_hidden_states to every block, so only configs whose blocks agree on
        // cross_attention_dim can run; the others are checked by their state dicts above.
        var json = Json(TinyUnet, overrides);
        json["cross_attention_dim"] = 16;
        using var temp = new TempFolder();

        var (_, output) = RunUnet(temp, "unet", json);

        Assert.Equal([1, 2, 4, 8, 8], output.Shape);
        Assert.All(output.Data, value => Assert.True(float.IsFinite(value)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void The_vae_builds_the_modules_diffusers_builds_for_any_layers_per_block_and_runs(int layers)
    {
        var json = Json(TinyVae, $$"""{"layers_per_block": {{layers}}}""");
        var config = AutoencoderKLTemporalDecoder.Config.From(ModelConfig.Parse(json.ToJsonString(), "vae"));
        var layout = AutoencoderKLTemporalDecoder.StateDict(config);
        var names = layout.Select(t => t.Name).ToHashSet();

        // Encoder blocks layers_per_block, decoder up blocks one more; the decoder's mid block builds
        // layers_per_block res blocks and one attention whatever it runs of them.
        Assert.Equal(layers, Count(layout, @"^encoder\.down_blocks\.0\.resnets\.(\d+)\."));
        Assert.Equal(layers + 1, Count(layout, @"^decoder\.up_blocks\.0\.resnets\.(\d+)\."));
        Assert.Equal(layers, Count(layout, @"^decoder\.mid_block\.resnets\.(\d+)\."));
        Assert.Contains("decoder.mid_block.attentions.0.to_q.weight", names);
        Assert.Equal(2, Count(layout, @"^encoder\.mid_block\.resnets\.(\d+)\."));

        using var temp = new TempFolder();
        using var weights = Synthetic(temp, "vae", layout);
        using var encoder = OnnxNetwork.Create(AutoencoderKLTemporalDecoder.BuildEncoder(weights, config));
        using var decoder = OnnxNetwork.Create(AutoencoderKLTemporalDecoder.BuildDecoder(weights, config, frames: 2));
        var mean = encoder.Run(new Dictionary<string, FloatTensor> { ["image"] = Noise([2, 3, 16, 16], 5) })["mean"];
        var sample = decoder.Run(new Dictionary<string, FloatTensor> { ["latents"] = mean })["sample"];

        Assert.Equal([2, 4, 8, 8], mean.Shape);
        Assert.Equal([2, 3, 16, 16], sample.Shape);
        Assert.All(sample.Data, value => Assert.True(float.IsFinite(value)));
    }

    [Theory]
    [InlineData("quick_gelu")]
    [InlineData("gelu")]
    public void The_clip_vision_config_gives_the_transformers_state_dict_and_runs(string activation)
    {
        var json = Json(TinyClip, $$"""{"hidden_act": "{{activation}}"}""");
        var config = ClipVisionModel.Config.From(ModelConfig.Parse(json.ToJsonString(), "clip"));
        var layout = ClipVisionModel.StateDict(config).ToDictionary(t => t.Name, t => t.Shape);

        Assert.Equal(2, Count(layout.Keys, @"^vision_model\.encoder\.layers\.(\d+)\."));
        Assert.Equal([((32 / 8) * (32 / 8)) + 1, 32], layout["vision_model.embeddings.position_embedding.weight"]);
        Assert.Equal([32, 3, 8, 8], layout["vision_model.embeddings.patch_embedding.weight"]);
        Assert.Equal([48, 32], layout["vision_model.encoder.layers.1.mlp.fc1.weight"]);
        Assert.Equal([12, 32], layout["visual_projection.weight"]);
        Assert.DoesNotContain("visual_projection.bias", layout.Keys);

        using var temp = new TempFolder();
        using var weights = Synthetic(temp, "clip", ClipVisionModel.StateDict(config));
        using var network = OnnxNetwork.Create(ClipVisionModel.Build(weights, config));
        var embeds = network.Run(new Dictionary<string, FloatTensor> { ["pixel_values"] = Noise([1, 3, 32, 32], 2) })["image_embeds"];

        Assert.Equal([1, 12], embeds.Shape);
    }

    public static TheoryData<string, string, string> BadConfigs => new()
    {
        { "unet", """{"layers_per_block": [2, 2, 2]}""", "layers_per_block" },
        { "unet", """{"num_attention_heads": [2]}""", "num_attention_heads" },
        { "unet", """{"cross_attention_dim": [16, 16, 16]}""", "cross_attention_dim" },
        { "unet", """{"transformer_layers_per_block": [1, 1, 1]}""", "transformer_layers_per_block" },
        { "unet", """{"transformer_layers_per_block": [[1, 1], [1, 1]]}""", "transformer_layers_per_block" },
        { "unet", """{"transformer_layers_per_block": "2"}""", "transformer_layers_per_block" },
        { "unet", """{"transformer_layers_per_block": [[1, "2", 1], [1, 1, 1]]}""", "transformer_layers_per_block" },
        { "unet", """{"layers_per_block": [[2], [2]]}""", "layers_per_block" },
        { "unet", """{"cross_attention_dim": 16.5}""", "cross_attention_dim" },
        { "unet", """{"num_attention_heads": [3, 4]}""", "num_attention_heads" },
        { "unet", """{"block_out_channels": [32, 64, 64]}""", "block_out_channels" },
        { "unet", """{"up_block_types": ["CrossAttnUpBlockSpatioTemporal"]}""", "up_block_types" },
        { "unet", """{"down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlockSpatioTemporal"]}""", "down_block_types" },
        { "unet", """{"in_channels": [8]}""", "in_channels" },
        { "vae", """{"layers_per_block": [2, 2]}""", "layers_per_block" },
        { "vae", """{"block_out_channels": 64}""", "block_out_channels" },
        { "vae", """{"down_block_types": ["DownEncoderBlock2D"]}""", "down_block_types" },
        { "vae", """{"scaling_factor": "0.18"}""", "scaling_factor" },
        { "clip", """{"num_attention_heads": [4]}""", "num_attention_heads" },
        { "clip", """{"num_attention_heads": 5}""", "num_attention_heads" },
        { "clip", """{"hidden_act": "gelu_new"}""", "hidden_act" },
        { "clip", """{"hidden_size": "32"}""", "hidden_size" },
    };

    [Theory]
    [MemberData(nameof(BadConfigs))]
    public void A_value_of_the_wrong_shape_or_length_is_one_error_line_naming_the_key(string network, string overrides, string key)
    {
        var (baseline, read) = network switch
        {
            "unet" => (TinyUnet, (Action<ModelConfig>)(c => UNetSpatioTemporalConditionModel.Config.From(c))),
            "vae" => (TinyVae, c => AutoencoderKLTemporalDecoder.Config.From(c)),
            _ => (TinyClip, (Action<ModelConfig>)(c => ClipVisionModel.Config.From(c))),
        };

        var error = Assert.Throws<WeightFileException>(() => read(ModelConfig.Parse(Json(baseline, overrides).ToJsonString(), $"{network}/config.json")));

        Assert.StartsWith($"{network}/config.json: {key} = ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void A_key_left_out_or_null_takes_the_library_default()
    {
        var json = Json(TinyUnet, """{"transformer_layers_per_block": null}""");
        json.Remove("layers_per_block");

        var config = UNetSpatioTemporalConditionModel.Config.From(ModelConfig.Parse(json.ToJsonString(), "unet"));

        Assert.Equal([2, 2], config.LayersPerBlock);
        Assert.Equal(1, config.MidDepth);
    }

    private static (IReadOnlyList<WeightShape> Layout, FloatTensor Output) RunUnet(TempFolder temp, string name, JsonObject json)
    {
        var config = UNetSpatioTemporalConditionModel.Config.From(ModelConfig.Parse(json.ToJsonString(), name));
        var layout = UNetSpatioTemporalConditionModel.StateDict(config);
        using var weights = Synthetic(temp, name, layout);
        using var unet = OnnxNetwork.Create(UNetSpatioTemporalConditionModel.Build(weights, config, frames: 2));
        var output = unet.Run(new Dictionary<string, FloatTensor>
        {
            ["sample"] = Noise([1, 2, 8, 8, 8], 1),
            ["timestep"] = new([0.7f], [1]),
            ["encoder_hidden_states"] = Noise([1, 3, config.CrossAttentionDim[0]], 2),
            ["added_time_ids"] = new([6, 127, 0.02f], [1, 3]),
        })["out_sample"];
        return (layout, output);
    }

    private static Checkpoint Synthetic(TempFolder temp, string name, IReadOnlyList<WeightShape> layout)
    {
        var path = temp[name + ".safetensors"];
        SafetensorsWriter.WriteSynthetic(path, layout.Select(t => (t.Name, WeightType.Float32, t.Shape)).ToList(), seed: 7);
        return Checkpoint.Open(path);
    }

    private static FloatTensor Noise(long[] shape, int seed)
    {
        var random = new Random(seed);
        var tensor = new FloatTensor(shape);
        for (var i = 0; i < tensor.Data.Length; i++)
        {
            tensor.Data[i] = (float)(random.NextDouble() * 2 - 1);
        }

        return tensor;
    }

    private static JsonObject Json(string baseline, string overrides)
    {
        var json = JsonNode.Parse(baseline)!.AsObject();
        foreach (var (key, value) in JsonNode.Parse(overrides)!.AsObject())
        {
            json[key] = value?.DeepClone();
        }

        return json;
    }

    private static int[] PerBlock(JsonNode value, int blocks) =>
        value is JsonArray list ? list.Select(v => (int)v!).ToArray() : Enumerable.Repeat((int)value, blocks).ToArray();

    /// <summary>transformer_layers_per_block for block i, layer j, read the way diffusers reads it.</summary>
    private static int Depth(JsonObject json, int block, int layer) => json["transformer_layers_per_block"] switch
    {
        JsonArray perBlock => perBlock[block] is JsonArray perLayer ? (int)perLayer[layer]! : (int)perBlock[block]!,
        var single => (int)single!,
    };

    private static int Count(IEnumerable<WeightShape> layout, string pattern) => Count(layout.Select(t => t.Name), pattern);

    private static int Count(IEnumerable<string> names, string pattern) =>
        names.Select(name => Regex.Match(name, pattern)).Where(m => m.Success).Select(m => m.Groups[1].Value).Distinct().Count();
}
