namespace TurnLivePhotos.Engine.Svd;

/// <summary>
/// The configuration files of stabilityai/stable-video-diffusion-img2vid-xt (diffusers layout), written out with
/// their documented values. Used to lay out a synthetic full-size model for benchmarks: the same code paths as
/// the real download, with random weights.
/// </summary>
public static class Img2VidXtConfigs
{
    public const string ModelIndex = """
        {"_class_name": "StableVideoDiffusionPipeline", "_diffusers_version": "0.24.0.dev0",
         "feature_extractor": ["transformers", "CLIPImageProcessor"], "image_encoder": ["transformers", "CLIPVisionModelWithProjection"],
         "scheduler": ["diffusers", "EulerDiscreteScheduler"], "unet": ["diffusers", "UNetSpatioTemporalConditionModel"],
         "vae": ["diffusers", "AutoencoderKLTemporalDecoder"]}
        """;

    public const string Scheduler = """
        {"_class_name": "EulerDiscreteScheduler", "_diffusers_version": "0.24.0.dev0", "beta_end": 0.012, "beta_schedule": "scaled_linear",
         "beta_start": 0.00085, "clip_sample": false, "interpolation_type": "linear", "num_train_timesteps": 1000,
         "prediction_type": "v_prediction", "set_alpha_to_one": false, "sigma_max": 700.0, "sigma_min": 0.002, "skip_prk_steps": true,
         "steps_offset": 1, "timestep_spacing": "leading", "timestep_type": "continuous", "trained_betas": null, "use_karras_sigmas": true}
        """;

    public const string Unet = """
        {"_class_name": "UNetSpatioTemporalConditionModel", "_diffusers_version": "0.24.0.dev0", "addition_time_embed_dim": 256,
         "block_out_channels": [320, 640, 1280, 1280], "cross_attention_dim": 1024,
         "down_block_types": ["CrossAttnDownBlockSpatioTemporal", "CrossAttnDownBlockSpatioTemporal", "CrossAttnDownBlockSpatioTemporal", "DownBlockSpatioTemporal"],
         "in_channels": 8, "layers_per_block": 2, "num_attention_heads": [5, 10, 20, 20], "num_frames": 25, "out_channels": 4,
         "projection_class_embeddings_input_dim": 768, "sample_size": 96, "transformer_layers_per_block": 1,
         "up_block_types": ["UpBlockSpatioTemporal", "CrossAttnUpBlockSpatioTemporal", "CrossAttnUpBlockSpatioTemporal", "CrossAttnUpBlockSpatioTemporal"]}
        """;

    public const string Vae = """
        {"_class_name": "AutoencoderKLTemporalDecoder", "_diffusers_version": "0.24.0.dev0", "block_out_channels": [128, 256, 512, 512],
         "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"], "force_upcast": true,
         "in_channels": 3, "latent_channels": 4, "layers_per_block": 2, "out_channels": 3, "sample_size": 768, "scaling_factor": 0.18215}
        """;

    public const string ImageEncoder = """
        {"architectures": ["CLIPVisionModelWithProjection"], "hidden_act": "gelu", "hidden_size": 1280, "image_size": 224,
         "intermediate_size": 5120, "layer_norm_eps": 1e-05, "model_type": "clip_vision_model", "num_attention_heads": 16,
         "num_channels": 3, "num_hidden_layers": 32, "patch_size": 14, "projection_dim": 1024, "torch_dtype": "float16"}
        """;

    public const string FeatureExtractor = """
        {"crop_size": {"height": 224, "width": 224}, "do_center_crop": true, "do_convert_rgb": true, "do_normalize": true,
         "do_rescale": true, "do_resize": true, "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_processor_type": "CLIPImageProcessor",
         "image_std": [0.26862954, 0.26130258, 0.27577711], "resample": 3, "rescale_factor": 0.00392156862745098, "size": {"shortest_edge": 224}}
        """;

    /// <summary>
    /// Writes a complete img2vid-xt folder with random fp16 weights (real names and shapes, about 4.5 GB), component
    /// by component and tensor by tensor, so memory use stays small.
    /// </summary>
    public static void WriteSyntheticModel(string folder, TurnLivePhotos.Engine.Weights.WeightType type = TurnLivePhotos.Engine.Weights.WeightType.Float16)
    {
        void Text(string path, string content)
        {
            var full = Path.Combine(folder, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, content);
        }

        var suffix = type == TurnLivePhotos.Engine.Weights.WeightType.Float16 ? ".fp16.safetensors" : ".safetensors";
        void WriteWeights(string path, List<(string Name, long[] Shape)> layout, int seed) =>
            TurnLivePhotos.Engine.Weights.SafetensorsWriter.WriteSynthetic(Path.Combine(folder, path + suffix), layout.Select(t => (t.Name, type, t.Shape)).ToList(), seed);

        Text("model_index.json", ModelIndex);
        Text("scheduler/scheduler_config.json", Scheduler);
        Text("feature_extractor/preprocessor_config.json", FeatureExtractor);
        Text("image_encoder/config.json", ImageEncoder);
        Text("unet/config.json", Unet);
        Text("vae/config.json", Vae);
        WriteWeights("image_encoder/model", SvdLayout.ClipVision(ModelConfig.Parse(ImageEncoder, "image_encoder")), seed: 1);
        WriteWeights("vae/diffusion_pytorch_model", SvdLayout.Vae(ModelConfig.Parse(Vae, "vae")), seed: 2);
        WriteWeights("unet/diffusion_pytorch_model", SvdLayout.Unet(ModelConfig.Parse(Unet, "unet")), seed: 3);
    }
}
