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

    /// <summary>
    /// A model folder from the networks a pipeline fixture names in its params.json <c>components</c> (paths
    /// relative to the pipeline folder), for sets that reuse another set's networks. The folder's scheduler config
    /// is left empty (diffusers' defaults for img2vid-xt): those sets run another sampler.
    /// </summary>
    public static string CreateFromComponents(string pipelineFolder, string destination)
    {
        using var parameters = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(Path.Combine(pipelineFolder, "params.json")));
        var components = parameters.RootElement.GetProperty("components");
        string Source(string component) => Path.GetFullPath(Path.Combine(pipelineFolder, components.GetProperty(component).GetString()!));
        void Copy(string source, string target)
        {
            var path = Path.Combine(destination, target);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.Copy(source, path, overwrite: true);
        }

        foreach (var (component, folder) in new[] { ("image_encoder", "image_encoder"), ("unet", "unet"), ("vae", "vae") })
        {
            Copy(Path.Combine(Source(component), "config.json"), $"{folder}/config.json");
            Copy(Path.Combine(Source(component), "weights.safetensors"), $"{folder}/{(folder == "image_encoder" ? "model" : "diffusion_pytorch_model")}.safetensors");
        }

        Copy(Source("feature_extractor"), "feature_extractor/preprocessor_config.json");
        Directory.CreateDirectory(Path.Combine(destination, "scheduler"));
        File.WriteAllText(Path.Combine(destination, "scheduler", "scheduler_config.json"), "{}");
        File.WriteAllText(Path.Combine(destination, "model_index.json"), "{\"_class_name\": \"StableVideoDiffusionPipeline\"}");
        return destination;
    }
}
