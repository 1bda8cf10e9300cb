using TurnLivePhotos.Engine.Weights;

namespace TurnLivePhotos.Engine.Svd;

/// <summary>The files of one diffusers component: its config and its weights (single file or sharded index).</summary>
public sealed record ComponentFiles(string Config, string Weights);

/// <summary>
/// A Stable Video Diffusion folder in the diffusers layout (what the seed downloaded into ModelsHome): model_index.json,
/// image_encoder/, unet/, vae/, scheduler/, feature_extractor/. img2vid, img2vid-xt and img2vid-xt-1-1 share it.
/// </summary>
public sealed record SvdModelFolder(
    string Root,
    ComponentFiles ImageEncoder,
    ComponentFiles Unet,
    ComponentFiles Vae,
    string SchedulerConfig,
    string FeatureExtractorConfig)
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
    public static IReadOnlyList<string> FindMissing(string folder, string? variant = "fp16")
    {
        if (!Directory.Exists(folder))
        {
            return ["the folder itself"];
        }

        var missing = RequiredFiles.Where(file => !File.Exists(Path.Combine(folder, file))).ToList();
        missing.AddRange(WeightFolders.Where(component => FindWeights(Path.Combine(folder, component), variant) is null).Select(component => $"{component}/*.safetensors"));
        return missing;
    }

    public static bool IsComplete(string folder, string? variant = "fp16") => FindMissing(folder, variant).Count == 0;

    /// <exception cref="WeightFileException">The folder is incomplete; the message lists every missing part.</exception>
    public static SvdModelFolder Open(string folder, string? variant = "fp16")
    {
        var missing = FindMissing(folder, variant);
        if (missing.Count > 0)
        {
            throw new WeightFileException($"the SVD model folder {folder} is incomplete (missing {string.Join(", ", missing)})");
        }

        ComponentFiles Component(string name) => new(Path.Combine(folder, name, "config.json"), FindWeights(Path.Combine(folder, name), variant)!);
        return new SvdModelFolder(
            Path.GetFullPath(folder),
            Component("image_encoder"),
            Component("unet"),
            Component("vae"),
            Path.Combine(folder, "scheduler", "scheduler_config.json"),
            Path.Combine(folder, "feature_extractor", "preprocessor_config.json"));
    }

    /// <summary>This folder with its UNet's weights taken from another file (checked against unet/config.json first).</summary>
    /// <exception cref="WeightFileException">The file is missing or does not fit the UNet; the message is one line.</exception>
    public SvdModelFolder WithUNetWeights(string weightsPath)
    {
        var full = Path.GetFullPath(weightsPath);
        UNetWeightsCheck.Verify(full, Unet.Config);
        return this with { Unet = Unet with { Weights = full } };
    }

    /// <summary>
    /// The weights of one component: the requested variant (model.fp16.safetensors) when present, else the plain
    /// file; a sharded checkpoint's index is preferred over its shards.
    /// </summary>
    public static string? FindWeights(string componentFolder, string? variant)
    {
        if (!Directory.Exists(componentFolder))
        {
            return null;
        }

        var files = Directory.EnumerateFiles(componentFolder).Select(Path.GetFileName).OfType<string>().ToList();
        bool IsVariant(string name) => variant is not null && name.Contains($".{variant}.", StringComparison.Ordinal);
        bool IsAnyVariant(string name) => name.Count(c => c == '.') > (name.EndsWith(".index.json", StringComparison.Ordinal) ? 3 : 1);
        var candidates = new[]
        {
            files.Where(n => n.EndsWith(".safetensors.index.json", StringComparison.Ordinal) && IsVariant(n)),
            files.Where(n => n.EndsWith(".safetensors", StringComparison.Ordinal) && IsVariant(n)),
            files.Where(n => n.EndsWith(".safetensors.index.json", StringComparison.Ordinal) && !IsAnyVariant(n)),
            files.Where(n => n.EndsWith(".safetensors", StringComparison.Ordinal) && !IsAnyVariant(n) && !n.Contains("-of-", StringComparison.Ordinal)),
            files.Where(n => n.EndsWith(".safetensors", StringComparison.Ordinal) && !n.Contains("-of-", StringComparison.Ordinal)),
        };
        var chosen = candidates.Select(group => group.Order(StringComparer.Ordinal).FirstOrDefault()).FirstOrDefault(name => name is not null);
        return chosen is null ? null : Path.Combine(componentFolder, chosen);
    }
}
