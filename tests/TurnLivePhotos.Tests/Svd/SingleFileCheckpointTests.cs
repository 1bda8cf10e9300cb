using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Engine.Svd;
using TurnLivePhotos.Engine.Weights;
using TurnLivePhotos.Media.Decoding;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Svd;

/// <summary>
/// A single-file checkpoint in Stability's layout, written by the test from the tiny model's weights under the
/// original names (q/k/v fused, 1×1 conv kernels, the projection transposed), runs to the same frames as the
/// diffusers folder it came from; a file of another layout is refused with one line naming the expected keys.
/// </summary>
public sealed class SingleFileCheckpointTests
{
    public static TheoryData<string> Sets => FixtureSets.All;

    [Fact]
    public void Names_follow_the_original_module_tree()
    {
        var unet = UNetSpatioTemporalConditionModel.Config.From(ModelConfig.Parse(Img2VidXtConfigs.Unet, "unet"));
        var vae = AutoencoderKLTemporalDecoder.Config.From(ModelConfig.Parse(Img2VidXtConfigs.Vae, "vae"));

        Assert.Equal("input_blocks.1.0.in_layers.0.weight", StabilityNames.Unet("down_blocks.0.resnets.0.spatial_res_block.norm1.weight", unet));
        Assert.Equal("input_blocks.2.0.time_stack.in_layers.2.weight", StabilityNames.Unet("down_blocks.0.resnets.1.temporal_res_block.conv1.weight", unet));
        Assert.Equal("input_blocks.4.0.emb_layers.1.bias", StabilityNames.Unet("down_blocks.1.resnets.0.spatial_res_block.time_emb_proj.bias", unet));
        Assert.Equal("input_blocks.3.0.op.weight", StabilityNames.Unet("down_blocks.0.downsamplers.0.conv.weight", unet));
        Assert.Equal("input_blocks.1.1.time_pos_embed.0.weight", StabilityNames.Unet("down_blocks.0.attentions.0.time_pos_embed.linear_1.weight", unet));
        Assert.Equal("middle_block.1.time_stack.0.attn1.to_q.weight", StabilityNames.Unet("mid_block.attentions.0.temporal_transformer_blocks.0.attn1.to_q.weight", unet));
        Assert.Equal("middle_block.2.time_mixer.mix_factor", StabilityNames.Unet("mid_block.resnets.1.time_mixer.mix_factor", unet));
        Assert.Equal("output_blocks.2.1.conv.weight", StabilityNames.Unet("up_blocks.0.upsamplers.0.conv.weight", unet));
        Assert.Equal("output_blocks.5.2.conv.bias", StabilityNames.Unet("up_blocks.1.upsamplers.0.conv.bias", unet));
        Assert.Equal("output_blocks.3.0.skip_connection.weight", StabilityNames.Unet("up_blocks.1.resnets.0.spatial_res_block.conv_shortcut.weight", unet));
        Assert.Equal("label_emb.0.2.weight", StabilityNames.Unet("add_embedding.linear_2.weight", unet));
        Assert.Equal("out.2.bias", StabilityNames.Unet("conv_out.bias", unet));

        Assert.Equal(new StabilityKey("first_stage_model.decoder.up.3.block.0.time_stack.in_layers.2.weight"), StabilityNames.Vae("decoder.up_blocks.0.resnets.0.temporal_res_block.conv1.weight", vae));
        Assert.Equal(new StabilityKey("first_stage_model.decoder.mid.block_2.mix_factor"), StabilityNames.Vae("decoder.mid_block.resnets.1.time_mixer.mix_factor", vae));
        Assert.Equal(new StabilityKey("first_stage_model.decoder.conv_out.time_mix_conv.weight"), StabilityNames.Vae("decoder.time_conv_out.weight", vae));
        Assert.Equal(new StabilityKey("conditioner.embedders.3.encoder.encoder.mid.attn_1.q.weight", StoredAs.Reshaped), StabilityNames.Vae("encoder.mid_block.attentions.0.to_q.weight", vae));
        Assert.Equal(new StabilityKey("conditioner.embedders.3.encoder.encoder.down.1.block.0.nin_shortcut.bias"), StabilityNames.Vae("encoder.down_blocks.1.resnets.0.conv_shortcut.bias", vae));
        Assert.Equal(new StabilityKey("conditioner.embedders.3.encoder.quant_conv.weight"), StabilityNames.Vae("quant_conv.weight", vae));

        Assert.Equal(new StabilityKey("conditioner.embedders.0.open_clip.model.visual.transformer.resblocks.3.attn.in_proj_bias", StoredAs.ThirdOf, 1), StabilityNames.Clip("vision_model.encoder.layers.3.self_attn.k_proj.bias"));
        Assert.Equal(new StabilityKey("conditioner.embedders.0.open_clip.model.visual.proj", StoredAs.Transposed), StabilityNames.Clip("visual_projection.weight"));
        Assert.Equal(new StabilityKey("conditioner.embedders.0.open_clip.model.visual.conv1.weight"), StabilityNames.Clip("vision_model.embeddings.patch_embedding.weight"));
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void A_stability_single_file_runs_to_the_frames_of_the_diffusers_folder(string set)
    {
        using var temp = new TempFolder();
        var folder = SvdModelFolder.Open(TinyModelFolder.Create(set, temp["model"]));
        var single = WriteStabilityCheckpoint(folder, temp["svd_tiny.safetensors"]);
        var fromFile = folder with
        {
            SingleFile = single,
            ImageEncoder = folder.ImageEncoder with { Weights = single },
            Unet = folder.Unet with { Weights = single },
            Vae = folder.Vae with { Weights = single },
        };

        var expected = Run(folder, set);
        var actual = Run(fromFile, set);

        Assert.Equal(expected.Shape, actual.Shape);
        var worst = expected.Data.Zip(actual.Data, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst <= 1e-6, $"frames differ by up to {worst}");
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public async Task A_file_of_another_layout_is_refused_with_one_line_naming_the_expected_keys(string set)
    {
        using var temp = new TempFolder();
        var model = TinyModelFolder.Create(set, temp["model"]);
        var other = temp["other.safetensors"];
        File.Copy(Path.Combine(model, "unet", "diffusion_pytorch_model.safetensors"), other);

        var refused = Assert.Throws<WeightFileException>(() => SvdModelFolder.Open(other));
        Assert.Contains("model.diffusion_model.*", refused.Message, StringComparison.Ordinal);

        var config = temp.Write("c.ini", $"[StoreOptions]\nModelsHome={temp.Path}\n[ModelOptions]\nModelName=other.safetensors\nImagePromptWidth=64\nImagePromptHeight=64\nInferenceSteps=1\nDevice=cpu\n");
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await TurnLivePhotos.Commands.Cli.RunAsync(["convert", temp.Write("p.jpg", TestPhotos.Scene(96, 96)), "-o", temp["out"], "--engine", "svd", "--format", "gif", "--config", config], output, error);

        Assert.NotEqual(0, exit);
        var line = Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("model.diffusion_model.*", line, StringComparison.Ordinal);
        Assert.Contains("first_stage_model.decoder.*", line, StringComparison.Ordinal);
    }

    private static TurnLivePhotos.Engine.Onnx.FloatTensor Run(SvdModelFolder folder, string set)
    {
        var pipelineFolder = FixtureSets.Folder(set, "pipeline");
        using var io = Checkpoint.Open(Path.Combine(pipelineFolder, "io.safetensors"));
        using var parameters = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(pipelineFolder, "params.json")));
        var p = parameters.RootElement;
        var image = SvdPreprocessing.ToSignedTensor(PhotoDecoder.Decode(File.ReadAllBytes(Path.Combine(pipelineFolder, "input.png"))).Image);
        using var pipeline = new SvdPipeline(folder, () => new SessionOptions(), MemoryMode.Low);
        return pipeline.Run(image, new MotionParameters
        {
            Frames = p.GetProperty("num_frames").GetInt32(),
            InferenceSteps = p.GetProperty("num_inference_steps").GetInt32(),
            DecodeChunkSize = p.GetProperty("decode_chunk_size").GetInt32(),
        }.ToRunOptions(noise: new RecordedNoise([FixtureSets.Read(io, "aug_noise"), FixtureSets.Read(io, "latents_input")])), progress: null, CancellationToken.None).Frames;
    }

    /// <summary>
    /// The inverse of the binding, done the way Stability's files hold the weights: every weight the builders declare,
    /// under its original key, q/k/v concatenated into in_proj, attention projections as 1×1 conv kernels, the CLIP
    /// projection transposed. Keys SVD never reads are added too, as a real file has them.
    /// </summary>
    private static string WriteStabilityCheckpoint(SvdModelFolder folder, string path)
    {
        var unet = UNetSpatioTemporalConditionModel.Config.From(ModelConfig.Load(folder.Unet.Config));
        var vae = AutoencoderKLTemporalDecoder.Config.From(ModelConfig.Load(folder.Vae.Config));
        var clip = ClipVisionModel.Config.From(ModelConfig.Load(folder.ImageEncoder.Config));
        var entries = new Dictionary<string, (long[] Shape, float[] Values)>(StringComparer.Ordinal);
        var fused = new Dictionary<string, (long[] PartShape, float[]?[] Parts)>(StringComparer.Ordinal);
        void Add(SvdNetwork network, Checkpoint source, IEnumerable<WeightShape> declared)
        {
            foreach (var weight in declared)
            {
                var key = StabilityNames.For(network, weight.Name, unet, vae);
                var values = source.ReadFloat32(weight.Name);
                switch (key.StoredAs)
                {
                    case StoredAs.Reshaped:
                        entries[key.Key] = ([.. weight.Shape, 1, 1], values);
                        break;
                    case StoredAs.Transposed:
                        var (rows, columns) = ((int)weight.Shape[0], (int)weight.Shape[1]);
                        var transposed = new float[values.Length];
                        for (var r = 0; r < rows; r++)
                        {
                            for (var c = 0; c < columns; c++)
                            {
                                transposed[(c * rows) + r] = values[(r * columns) + c];
                            }
                        }

                        entries[key.Key] = ([columns, rows], transposed);
                        break;
                    case StoredAs.ThirdOf:
                        if (!fused.TryGetValue(key.Key, out var parts))
                        {
                            parts = (weight.Shape, new float[]?[3]);
                            fused[key.Key] = parts;
                        }

                        parts.Parts[key.Part] = values;
                        break;
                    default:
                        entries[key.Key] = (weight.Shape, values);
                        break;
                }
            }
        }

        using (var clipWeights = Checkpoint.Open(folder.ImageEncoder.Weights))
        using (var unetWeights = Checkpoint.Open(folder.Unet.Weights))
        using (var vaeWeights = Checkpoint.Open(folder.Vae.Weights))
        {
            Add(SvdNetwork.ImageEncoder, clipWeights, ClipVisionModel.StateDict(clip));
            Add(SvdNetwork.Unet, unetWeights, UNetSpatioTemporalConditionModel.StateDict(unet));
            Add(SvdNetwork.Vae, vaeWeights, AutoencoderKLTemporalDecoder.StateDict(vae));
        }

        foreach (var (key, (partShape, parts)) in fused)
        {
            Assert.All(parts, part => Assert.NotNull(part));
            entries[key] = ([3 * partShape[0], .. partShape[1..]], [.. parts.SelectMany(part => part!)]);
        }

        entries["first_stage_model.encoder.conv_in.weight"] = ([1], [0.5f]);
        entries["conditioner.embedders.1.fps_unused"] = ([1], [1f]);
        SafetensorsWriter.Write(path, entries.Select(e => SafetensorsWriter.Float32(e.Key, e.Value.Values, e.Value.Shape)));
        return path;
    }
}
