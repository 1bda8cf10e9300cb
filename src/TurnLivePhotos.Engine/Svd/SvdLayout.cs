namespace TurnLivePhotos.Engine.Svd;

/// <summary>
/// The state-dict inventory (names and shapes) each SVD network has for a given config.json, derived from the
/// same module tree the graph builders follow. Used to write synthetic full-size checkpoints for benchmarks, and
/// checked against the fixtures' real state dicts.
/// </summary>
public static class SvdLayout
{
    public static List<(string Name, long[] Shape)> ClipVision(ModelConfig config)
    {
        var hidden = config.Int("hidden_size", 768);
        var intermediate = config.Int("intermediate_size", 3072);
        var patch = config.Int("patch_size", 32);
        var positions = ((config.Int("image_size", 224) / patch) * (config.Int("image_size", 224) / patch)) + 1;
        var layout = new List<(string, long[])>
        {
            ("vision_model.embeddings.class_embedding", [hidden]),
            ("vision_model.embeddings.patch_embedding.weight", [hidden, config.Int("num_channels", 3), patch, patch]),
            ("vision_model.embeddings.position_embedding.weight", [positions, hidden]),
        };
        Norm(layout, "vision_model.pre_layrnorm", hidden);
        for (var i = 0; i < config.Int("num_hidden_layers", 12); i++)
        {
            var layer = $"vision_model.encoder.layers.{i}";
            foreach (var projection in new[] { "q_proj", "k_proj", "v_proj", "out_proj" })
            {
                Linear(layout, $"{layer}.self_attn.{projection}", hidden, hidden);
            }

            Norm(layout, $"{layer}.layer_norm1", hidden);
            Linear(layout, $"{layer}.mlp.fc1", hidden, intermediate);
            Linear(layout, $"{layer}.mlp.fc2", intermediate, hidden);
            Norm(layout, $"{layer}.layer_norm2", hidden);
        }

        Norm(layout, "vision_model.post_layernorm", hidden);
        Linear(layout, "visual_projection", hidden, config.Int("projection_dim", 512), bias: false);
        return layout;
    }

    public static List<(string Name, long[] Shape)> Vae(ModelConfig config)
    {
        var channels = config.Ints("block_out_channels", [128, 256, 512, 512]);
        var layers = config.Int("layers_per_block", 2);
        var latent = config.Int("latent_channels", 4);
        var inChannels = config.Int("in_channels", 3);
        var outChannels = config.Int("out_channels", 3);
        var layout = new List<(string, long[])>();

        Conv(layout, "encoder.conv_in", inChannels, channels[0], 3);
        for (var i = 0; i < channels.Length; i++)
        {
            var input = i == 0 ? channels[0] : channels[i - 1];
            for (var j = 0; j < layers; j++)
            {
                Resnet(layout, $"encoder.down_blocks.{i}.resnets.{j}", j == 0 ? input : channels[i], channels[i], embedding: null);
            }

            if (i < channels.Length - 1)
            {
                Conv(layout, $"encoder.down_blocks.{i}.downsamplers.0.conv", channels[i], channels[i], 3);
            }
        }

        var deepest = channels[^1];
        Resnet(layout, "encoder.mid_block.resnets.0", deepest, deepest, embedding: null);
        VaeAttention(layout, "encoder.mid_block.attentions.0", deepest);
        Resnet(layout, "encoder.mid_block.resnets.1", deepest, deepest, embedding: null);
        Norm(layout, "encoder.conv_norm_out", deepest);
        Conv(layout, "encoder.conv_out", deepest, 2 * latent, 3);
        Conv(layout, "quant_conv", 2 * latent, 2 * latent, 1);

        Conv(layout, "decoder.conv_in", latent, deepest, 3);
        SpatioTemporalResnet(layout, "decoder.mid_block.resnets.0", deepest, deepest, embedding: null);
        VaeAttention(layout, "decoder.mid_block.attentions.0", deepest);
        SpatioTemporalResnet(layout, "decoder.mid_block.resnets.1", deepest, deepest, embedding: null);
        var reversed = channels.Reverse().ToArray();
        var previous = reversed[0];
        for (var i = 0; i < reversed.Length; i++)
        {
            for (var j = 0; j <= layers; j++)
            {
                SpatioTemporalResnet(layout, $"decoder.up_blocks.{i}.resnets.{j}", j == 0 ? previous : reversed[i], reversed[i], embedding: null);
            }

            if (i < reversed.Length - 1)
            {
                Conv(layout, $"decoder.up_blocks.{i}.upsamplers.0.conv", reversed[i], reversed[i], 3);
            }

            previous = reversed[i];
        }

        Norm(layout, "decoder.conv_norm_out", channels[0]);
        Conv(layout, "decoder.conv_out", channels[0], outChannels, 3);
        layout.Add(("decoder.time_conv_out.weight", [outChannels, outChannels, 3, 1, 1]));
        layout.Add(("decoder.time_conv_out.bias", [outChannels]));
        return layout;
    }

    public static List<(string Name, long[] Shape)> Unet(ModelConfig json)
    {
        var config = UNetSpatioTemporalConditionModel.Config.From(json);
        var channels = config.BlockOutChannels;
        var embedding = 4 * channels[0];
        var cross = json.Int("cross_attention_dim", 1024);
        var layout = new List<(string, long[])>();

        Conv(layout, "conv_in", config.InChannels, channels[0], 3);
        Linear(layout, "time_embedding.linear_1", channels[0], embedding);
        Linear(layout, "time_embedding.linear_2", embedding, embedding);
        Linear(layout, "add_embedding.linear_1", json.Int("projection_class_embeddings_input_dim", 3 * config.AdditionTimeEmbedDim), embedding);
        Linear(layout, "add_embedding.linear_2", embedding, embedding);

        for (var i = 0; i < channels.Length; i++)
        {
            var input = i == 0 ? channels[0] : channels[i - 1];
            var hasAttention = config.DownBlockTypes[i].StartsWith("CrossAttn", StringComparison.Ordinal);
            for (var j = 0; j < config.LayersPerBlock; j++)
            {
                SpatioTemporalResnet(layout, $"down_blocks.{i}.resnets.{j}", j == 0 ? input : channels[i], channels[i], embedding);
                if (hasAttention)
                {
                    SpatioTemporalTransformer(layout, $"down_blocks.{i}.attentions.{j}", channels[i], cross);
                }
            }

            if (i < channels.Length - 1)
            {
                Conv(layout, $"down_blocks.{i}.downsamplers.0.conv", channels[i], channels[i], 3);
            }
        }

        var deepest = channels[^1];
        SpatioTemporalResnet(layout, "mid_block.resnets.0", deepest, deepest, embedding);
        SpatioTemporalTransformer(layout, "mid_block.attentions.0", deepest, cross);
        SpatioTemporalResnet(layout, "mid_block.resnets.1", deepest, deepest, embedding);

        var reversed = channels.Reverse().ToArray();
        var previous = reversed[0];
        for (var i = 0; i < reversed.Length; i++)
        {
            var output = reversed[i];
            var skipInput = reversed[Math.Min(i + 1, reversed.Length - 1)];
            var hasAttention = config.UpBlockTypes[i].StartsWith("CrossAttn", StringComparison.Ordinal);
            for (var j = 0; j <= config.LayersPerBlock; j++)
            {
                var skip = j == config.LayersPerBlock ? skipInput : output;
                var resnetInput = j == 0 ? previous : output;
                SpatioTemporalResnet(layout, $"up_blocks.{i}.resnets.{j}", resnetInput + skip, output, embedding);
                if (hasAttention)
                {
                    SpatioTemporalTransformer(layout, $"up_blocks.{i}.attentions.{j}", output, cross);
                }
            }

            if (i < reversed.Length - 1)
            {
                Conv(layout, $"up_blocks.{i}.upsamplers.0.conv", output, output, 3);
            }

            previous = output;
        }

        Norm(layout, "conv_norm_out", channels[0]);
        Conv(layout, "conv_out", channels[0], config.OutChannels, 3);
        return layout;
    }

    private static void Linear(List<(string, long[])> layout, string prefix, int input, int output, bool bias = true)
    {
        layout.Add(($"{prefix}.weight", [output, input]));
        if (bias)
        {
            layout.Add(($"{prefix}.bias", [output]));
        }
    }

    private static void Conv(List<(string, long[])> layout, string prefix, int input, int output, int kernel)
    {
        layout.Add(($"{prefix}.weight", [output, input, kernel, kernel]));
        layout.Add(($"{prefix}.bias", [output]));
    }

    private static void Norm(List<(string, long[])> layout, string prefix, int channels)
    {
        layout.Add(($"{prefix}.weight", [channels]));
        layout.Add(($"{prefix}.bias", [channels]));
    }

    private static void Resnet(List<(string, long[])> layout, string prefix, int input, int output, int? embedding)
    {
        Norm(layout, $"{prefix}.norm1", input);
        Conv(layout, $"{prefix}.conv1", input, output, 3);
        if (embedding is { } width)
        {
            Linear(layout, $"{prefix}.time_emb_proj", width, output);
        }

        Norm(layout, $"{prefix}.norm2", output);
        Conv(layout, $"{prefix}.conv2", output, output, 3);
        if (input != output)
        {
            Conv(layout, $"{prefix}.conv_shortcut", input, output, 1);
        }
    }

    private static void SpatioTemporalResnet(List<(string, long[])> layout, string prefix, int input, int output, int? embedding)
    {
        Resnet(layout, $"{prefix}.spatial_res_block", input, output, embedding);
        var temporal = $"{prefix}.temporal_res_block";
        Norm(layout, $"{temporal}.norm1", output);
        layout.Add(($"{temporal}.conv1.weight", [output, output, 3, 1, 1]));
        layout.Add(($"{temporal}.conv1.bias", [output]));
        if (embedding is { } width)
        {
            Linear(layout, $"{temporal}.time_emb_proj", width, output);
        }

        Norm(layout, $"{temporal}.norm2", output);
        layout.Add(($"{temporal}.conv2.weight", [output, output, 3, 1, 1]));
        layout.Add(($"{temporal}.conv2.bias", [output]));
        layout.Add(($"{prefix}.time_mixer.mix_factor", [1]));
    }

    private static void VaeAttention(List<(string, long[])> layout, string prefix, int channels)
    {
        Norm(layout, $"{prefix}.group_norm", channels);
        foreach (var projection in new[] { "to_q", "to_k", "to_v", "to_out.0" })
        {
            Linear(layout, $"{prefix}.{projection}", channels, channels);
        }
    }

    private static void SpatioTemporalTransformer(List<(string, long[])> layout, string prefix, int channels, int cross)
    {
        Norm(layout, $"{prefix}.norm", channels);
        Linear(layout, $"{prefix}.proj_in", channels, channels);
        var spatial = $"{prefix}.transformer_blocks.0";
        Norm(layout, $"{spatial}.norm1", channels);
        Attention(layout, $"{spatial}.attn1", channels, channels);
        Norm(layout, $"{spatial}.norm2", channels);
        Attention(layout, $"{spatial}.attn2", channels, cross);
        Norm(layout, $"{spatial}.norm3", channels);
        Geglu(layout, $"{spatial}.ff", channels);
        var temporal = $"{prefix}.temporal_transformer_blocks.0";
        Norm(layout, $"{temporal}.norm_in", channels);
        Geglu(layout, $"{temporal}.ff_in", channels);
        Norm(layout, $"{temporal}.norm1", channels);
        Attention(layout, $"{temporal}.attn1", channels, channels);
        Norm(layout, $"{temporal}.norm2", channels);
        Attention(layout, $"{temporal}.attn2", channels, cross);
        Norm(layout, $"{temporal}.norm3", channels);
        Geglu(layout, $"{temporal}.ff", channels);
        Linear(layout, $"{prefix}.time_pos_embed.linear_1", channels, 4 * channels);
        Linear(layout, $"{prefix}.time_pos_embed.linear_2", 4 * channels, channels);
        layout.Add(($"{prefix}.time_mixer.mix_factor", [1]));
        Linear(layout, $"{prefix}.proj_out", channels, channels);
    }

    private static void Attention(List<(string, long[])> layout, string prefix, int channels, int source)
    {
        Linear(layout, $"{prefix}.to_q", channels, channels, bias: false);
        Linear(layout, $"{prefix}.to_k", source, channels, bias: false);
        Linear(layout, $"{prefix}.to_v", source, channels, bias: false);
        Linear(layout, $"{prefix}.to_out.0", channels, channels);
    }

    private static void Geglu(List<(string, long[])> layout, string prefix, int channels)
    {
        Linear(layout, $"{prefix}.net.0.proj", channels, 8 * channels);
        Linear(layout, $"{prefix}.net.2", 4 * channels, channels);
    }
}
