namespace TurnLivePhotos.Engine.Svd;

/// <summary>The SVD networks, as the single-file checkpoint keeps them side by side.</summary>
public enum SvdNetwork
{
    ImageEncoder,
    Unet,
    Vae,
}

/// <summary>How a diffusers weight is stored in the original checkpoint.</summary>
public enum StoredAs
{
    /// <summary>The same tensor.</summary>
    Same,

    /// <summary>The same bytes in another shape (a 1×1 conv kernel for a linear weight).</summary>
    Reshaped,

    /// <summary>One third of a fused tensor along its first axis (OpenCLIP's in_proj: q, k, v).</summary>
    ThirdOf,

    /// <summary>The transpose of a 2-D tensor (OpenCLIP's proj is (width, embed); transformers' is (embed, width)).</summary>
    Transposed,
}

/// <summary>Where one diffusers weight lives in a Stability single-file checkpoint.</summary>
public sealed record StabilityKey(string Key, StoredAs StoredAs = StoredAs.Same, int Part = 0);

/// <summary>
/// The names in Stability's original SVD checkpoints (svd.safetensors, svd_xt.safetensors, svd_xt_1_1.safetensors —
/// generative-models' module tree): the UNet under <c>model.diffusion_model.</c> (input_blocks / middle_block /
/// output_blocks, resnets as in_layers/emb_layers/out_layers, temporal parts as time_stack), the OpenCLIP ViT-H image
/// encoder under <c>conditioner.embedders.0.open_clip.model.visual.</c>, the VAE encoder with its quant_conv under
/// <c>conditioner.embedders.3.encoder.</c> and the temporal VAE decoder under <c>first_stage_model.</c> — the same
/// correspondence diffusers' SVD conversion uses, written here in the other direction: from the name a builder
/// declares to the key in the file, so the file is bound in memory and never converted.
/// </summary>
public static class StabilityNames
{
    public const string UnetPrefix = "model.diffusion_model.";
    public const string ClipPrefix = "conditioner.embedders.0.open_clip.model.visual.";
    public const string EncoderPrefix = "conditioner.embedders.3.encoder.";
    public const string DecoderPrefix = "first_stage_model.";

    /// <summary>The key prefixes every SVD single-file checkpoint has, for the message that refuses other files.</summary>
    public static readonly string[] RequiredPrefixes = [UnetPrefix, ClipPrefix, EncoderPrefix, DecoderPrefix + "decoder."];

    public static StabilityKey For(SvdNetwork network, string name, UNetSpatioTemporalConditionModel.Config unet, AutoencoderKLTemporalDecoder.Config vae) => network switch
    {
        SvdNetwork.Unet => new StabilityKey(UnetPrefix + Unet(name, unet)),
        SvdNetwork.Vae => Vae(name, vae),
        _ => Clip(name),
    };

    /// <summary>A UNetSpatioTemporalConditionModel name → its generative-models name (without the prefix).</summary>
    public static string Unet(string name, UNetSpatioTemporalConditionModel.Config config)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(config);
        var parts = name.Split('.');
        string Rest(int from) => string.Join('.', parts[from..]);
        int Number(int index) => int.Parse(parts[index], System.Globalization.CultureInfo.InvariantCulture);

        // generative-models numbers its blocks flat: input_blocks.0 is conv_in, then each down block's resnets and
        // its downsampler; output_blocks are each up block's resnets (one more than down), the upsampler riding on
        // the last of them.
        int DownStart(int block) => 1 + Enumerable.Range(0, block).Sum(k => config.LayersPerBlock[k] + 1);
        int UpLayers(int block) => config.LayersPerBlock[config.UpIndex(block)] + 1;
        int UpStart(int block) => Enumerable.Range(0, block).Sum(UpLayers);
        switch (parts[0])
        {
            case "conv_in": return "input_blocks.0.0." + Rest(1);
            case "time_embedding": return "time_embed." + (parts[1] == "linear_1" ? "0" : "2") + "." + Rest(2);
            case "add_embedding": return "label_emb.0." + (parts[1] == "linear_1" ? "0" : "2") + "." + Rest(2);
            case "conv_norm_out": return "out.0." + Rest(1);
            case "conv_out": return "out.2." + Rest(1);
            case "down_blocks":
            {
                var block = Number(1);
                if (parts[2] == "downsamplers")
                {
                    return $"input_blocks.{DownStart(block) + config.LayersPerBlock[block]}.0.op." + Rest(5);
                }

                var index = DownStart(block) + Number(3);
                return parts[2] == "resnets" ? $"input_blocks.{index}.0." + Resnet(Rest(4)) : $"input_blocks.{index}.1." + Transformer(Rest(4));
            }

            case "mid_block":
                return parts[1] == "resnets"
                    ? $"middle_block.{(parts[2] == "0" ? 0 : 2)}." + Resnet(Rest(3))
                    : "middle_block.1." + Transformer(Rest(3));
            case "up_blocks":
            {
                var block = Number(1);
                if (parts[2] == "upsamplers")
                {
                    // The upsampler follows the block's last resnet, after its attention when it has one.
                    var hasAttention = config.UpBlocks[block] == UNetSpatioTemporalConditionModel.BlockKind.CrossAttnSpatioTemporal;
                    return $"output_blocks.{UpStart(block) + UpLayers(block) - 1}.{(hasAttention ? 2 : 1)}.conv." + Rest(5);
                }

                var index = UpStart(block) + Number(3);
                return parts[2] == "resnets" ? $"output_blocks.{index}.0." + Resnet(Rest(4)) : $"output_blocks.{index}.1." + Transformer(Rest(4));
            }

            default:
                return name;
        }
    }

    /// <summary>An AutoencoderKLTemporalDecoder name → its key (encoder from the conditioner's copy, which has quant_conv).</summary>
    public static StabilityKey Vae(string name, AutoencoderKLTemporalDecoder.Config config)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(config);
        var parts = name.Split('.');
        var levels = config.BlockOutChannels.Length;
        string Rest(int from) => string.Join('.', parts[from..]);
        var isDecoder = parts[0] == "decoder";
        var prefix = isDecoder ? DecoderPrefix : EncoderPrefix;
        if (parts[0] == "quant_conv")
        {
            return new StabilityKey(EncoderPrefix + name);
        }

        var component = parts[0];
        string mapped;
        var storedAs = StoredAs.Same;
        switch (parts[1])
        {
            case "conv_norm_out":
                mapped = $"{component}.norm_out." + Rest(2);
                break;
            case "time_conv_out":
                mapped = "decoder.conv_out.time_mix_conv." + Rest(2);
                break;
            case "down_blocks":
                mapped = parts[3] == "downsamplers"
                    ? $"encoder.down.{parts[2]}.downsample.conv." + Rest(6)
                    : $"encoder.down.{parts[2]}.block.{parts[4]}." + VaeResnet(Rest(5));
                break;
            case "up_blocks":
            {
                var original = levels - 1 - int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture);
                mapped = parts[3] == "upsamplers"
                    ? $"decoder.up.{original}.upsample.conv." + Rest(6)
                    : $"decoder.up.{original}.block.{parts[4]}." + VaeResnet(Rest(5));
                break;
            }

            case "mid_block" when parts[2] == "attentions":
                mapped = $"{component}.mid.attn_1." + VaeAttention(parts[4], Rest(4), out storedAs);
                break;
            case "mid_block":
                mapped = $"{component}.mid.block_{int.Parse(parts[3], System.Globalization.CultureInfo.InvariantCulture) + 1}." + VaeResnet(Rest(4));
                break;
            default:
                mapped = name;
                break;
        }

        return new StabilityKey(prefix + mapped, storedAs);
    }

    /// <summary>A transformers CLIPVisionModelWithProjection name → its OpenCLIP key.</summary>
    public static StabilityKey Clip(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var parts = name.Split('.');
        string Rest(int from) => string.Join('.', parts[from..]);
        if (name == "visual_projection.weight")
        {
            return new StabilityKey(ClipPrefix + "proj", StoredAs.Transposed);
        }

        string mapped;
        var storedAs = StoredAs.Same;
        var part = 0;
        switch (parts[1])
        {
            case "embeddings":
                mapped = parts[2] switch
                {
                    "class_embedding" => "class_embedding",
                    "patch_embedding" => "conv1." + Rest(3),
                    _ => "positional_embedding",
                };
                break;
            case "pre_layrnorm":
                mapped = "ln_pre." + Rest(2);
                break;
            case "post_layernorm":
                mapped = "ln_post." + Rest(2);
                break;
            case "encoder":
            {
                var layer = $"transformer.resblocks.{parts[3]}.";
                var module = string.Join('.', parts[4..^1]);
                var kind = parts[^1];
                switch (module)
                {
                    case "self_attn.q_proj" or "self_attn.k_proj" or "self_attn.v_proj":
                        mapped = layer + "attn.in_proj_" + kind;
                        storedAs = StoredAs.ThirdOf;
                        part = module[10] switch { 'q' => 0, 'k' => 1, _ => 2 };
                        break;
                    default:
                        mapped = layer + module switch
                        {
                            "self_attn.out_proj" => "attn.out_proj",
                            "layer_norm1" => "ln_1",
                            "layer_norm2" => "ln_2",
                            "mlp.fc1" => "mlp.c_fc",
                            "mlp.fc2" => "mlp.c_proj",
                            _ => module,
                        } + "." + kind;
                        break;
                }

                break;
            }

            default:
                mapped = name;
                break;
        }

        return new StabilityKey(ClipPrefix + mapped, storedAs, part);
    }

    /// <summary>Inside a UNet resnet (spatial part, temporal part under time_stack, and the mixer).</summary>
    private static string Resnet(string rest)
    {
        if (rest.StartsWith("time_mixer.", StringComparison.Ordinal))
        {
            return rest;
        }

        var temporal = rest.StartsWith("temporal_res_block.", StringComparison.Ordinal);
        var inner = rest[(rest.IndexOf('.', StringComparison.Ordinal) + 1)..];
        return (temporal ? "time_stack." : string.Empty) + ResnetLayer(inner, ("time_emb_proj", "emb_layers.1"), ("conv_shortcut", "skip_connection"));
    }

    /// <summary>Inside a VAE decoder/encoder resnet: the spatial part keeps the LDM names at the top, the temporal part is an openaimodel ResBlock.</summary>
    private static string VaeResnet(string rest)
    {
        if (rest.StartsWith("time_mixer.", StringComparison.Ordinal))
        {
            return "mix_factor";
        }

        if (rest.StartsWith("temporal_res_block.", StringComparison.Ordinal))
        {
            return "time_stack." + ResnetLayer(rest["temporal_res_block.".Length..]);
        }

        var inner = rest.StartsWith("spatial_res_block.", StringComparison.Ordinal) ? rest["spatial_res_block.".Length..] : rest;
        return inner.StartsWith("conv_shortcut.", StringComparison.Ordinal) ? "nin_shortcut." + inner["conv_shortcut.".Length..] : inner;
    }

    private static string ResnetLayer(string inner, params (string Diffusers, string Original)[] extra)
    {
        var dot = inner.IndexOf('.', StringComparison.Ordinal);
        var module = inner[..dot];
        var original = module switch
        {
            "norm1" => "in_layers.0",
            "conv1" => "in_layers.2",
            "norm2" => "out_layers.0",
            "conv2" => "out_layers.3",
            _ => extra.FirstOrDefault(e => e.Diffusers == module).Original ?? module,
        };
        return original + inner[dot..];
    }

    /// <summary>Inside a (spatio-temporal) transformer: temporal blocks are time_stack, the position MLP is Sequential.</summary>
    private static string Transformer(string rest) =>
        rest.Replace("temporal_transformer_blocks.", "time_stack.", StringComparison.Ordinal)
            .Replace("time_pos_embed.linear_1.", "time_pos_embed.0.", StringComparison.Ordinal)
            .Replace("time_pos_embed.linear_2.", "time_pos_embed.2.", StringComparison.Ordinal);

    private static string VaeAttention(string module, string rest, out StoredAs storedAs)
    {
        var kind = rest[(rest.LastIndexOf('.') + 1)..];
        storedAs = kind == "weight" && module != "group_norm" ? StoredAs.Reshaped : StoredAs.Same;
        var original = module switch
        {
            "group_norm" => "norm",
            "to_q" => "q",
            "to_k" => "k",
            "to_v" => "v",
            _ => "proj_out",
        };
        return $"{original}.{kind}";
    }
}
