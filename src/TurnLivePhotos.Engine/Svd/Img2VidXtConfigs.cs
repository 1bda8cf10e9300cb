namespace TurnLivePhotos.Engine.Svd;

/// <summary>
/// The configuration files of stabilityai/stable-video-diffusion-img2vid-xt (diffusers layout), written out with
/// their documented values: the configs a single-file Stability checkpoint runs with (it carries none), and what the
/// benchmarks lay a synthetic full-size model out from.
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
}
