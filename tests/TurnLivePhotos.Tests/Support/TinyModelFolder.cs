namespace TurnLivePhotos.Tests.Support;

/// <summary>Lays a fixture set's tiny networks out as a diffusers model folder, as the real img2vid-xt download is.</summary>
public static class TinyModelFolder
{
    public static string Create(string set, string destination, bool halfPrecisionVariant = false)
    {
        void Copy(string component, string file, string target)
        {
            var path = Path.Combine(destination, target);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.Copy(Path.Combine(FixtureSets.Folder(set, component), file), path, overwrite: true);
        }

        Copy("pipeline", "model_index.json", "model_index.json");
        Copy("pipeline", "preprocessor_config.json", "feature_extractor/preprocessor_config.json");
        Copy("scheduler", "scheduler_config.json", "scheduler/scheduler_config.json");
        Copy("clip_vision", "config.json", "image_encoder/config.json");
        Copy("clip_vision", "weights.safetensors", "image_encoder/model.safetensors");
        Copy("unet", "config.json", "unet/config.json");
        Copy("unet", "weights.safetensors", "unet/diffusion_pytorch_model.safetensors");
        Copy("vae", "config.json", "vae/config.json");
        Copy("vae", "weights.safetensors", "vae/diffusion_pytorch_model.safetensors");
        if (halfPrecisionVariant)
        {
            HalfPrecision.Convert(Path.Combine(destination, "unet/diffusion_pytorch_model.safetensors"), Path.Combine(destination, "unet/diffusion_pytorch_model.fp16.safetensors"));
        }

        return destination;
    }
}
