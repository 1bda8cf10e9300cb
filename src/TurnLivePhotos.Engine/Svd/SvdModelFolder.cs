namespace TurnLivePhotos.Engine.Svd;

/// <summary>Checks a diffusers-layout Stable Video Diffusion folder (the one the seed downloaded into ModelsHome).</summary>
public static class SvdModelFolder
{
    private static readonly string[] RequiredFiles =
    [
        "model_index.json",
        "image_encoder/config.json",
        "unet/config.json",
        "vae/config.json",
        "scheduler/scheduler_config.json",
        "feature_extractor/preprocessor_config.json",
    ];

    private static readonly string[] WeightFolders = ["image_encoder", "unet", "vae"];

    /// <summary>Lists what a complete folder would have and this one lacks; empty when the folder is complete.</summary>
    public static IReadOnlyList<string> FindMissing(string folder)
    {
        if (!Directory.Exists(folder))
        {
            return ["the folder itself"];
        }

        var missing = RequiredFiles.Where(file => !File.Exists(Path.Combine(folder, file))).ToList();
        foreach (var weights in WeightFolders)
        {
            var directory = Path.Combine(folder, weights);
            if (!Directory.Exists(directory) || !Directory.EnumerateFiles(directory, "*.safetensors").Any())
            {
                missing.Add($"{weights}/*.safetensors");
            }
        }

        return missing;
    }

    public static bool IsComplete(string folder) => FindMissing(folder).Count == 0;
}
