using TurnLivePhotos.Engine.Weights;

namespace TurnLivePhotos.Engine.Svd;

/// <summary>The files of one diffusers component: its config and its weights (single file or sharded index).</summary>
public sealed record ComponentFiles(string Config, string Weights);

/// <summary>
/// A Stable Video Diffusion folder in the diffusers layout (what the Python tool this replaces downloaded into ModelsHome): model_index.json,
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

    /// <summary>When set, every network's weights come from this one Stability-layout file (<see cref="StabilityCheckpoint"/>).</summary>
    public string? SingleFile { get; init; }

    /// <summary>When set, configs are these texts (by the relative names above) instead of files.</summary>
    public IReadOnlyDictionary<string, string>? ConfigTexts { get; init; }

    /// <summary>The text of a config the record names (a file, or one of <see cref="ConfigTexts"/>).</summary>
    public string ReadText(string path) => ConfigTexts is { } texts && texts.TryGetValue(path, out var text) ? text : File.ReadAllText(path);

    public ModelConfig LoadConfig(string path) => ConfigTexts is { } texts && texts.TryGetValue(path, out var text) ? ModelConfig.Parse(text, path) : ModelConfig.Load(path);

    /// <summary>
    /// One .safetensors file in Stability's original layout (svd.safetensors, svd_xt.safetensors, svd_xt_1_1.safetensors):
    /// weights bound in memory by name, configs from the program (<see cref="Img2VidXtConfigs"/>; img2vid differs only in
    /// the frame count, which the engine takes per run).
    /// </summary>
    /// <exception cref="WeightFileException">Any other layout; the message names the keys expected.</exception>
    public static SvdModelFolder OpenSingleFile(string path)
    {
        using (StabilityCheckpoint.Open(path))
        {
        }

        var full = Path.GetFullPath(path);
        return new SvdModelFolder(
            full,
            new ComponentFiles("image_encoder/config.json", full),
            new ComponentFiles("unet/config.json", full),
            new ComponentFiles("vae/config.json", full),
            "scheduler/scheduler_config.json",
            "feature_extractor/preprocessor_config.json")
        {
            SingleFile = full,
            ConfigTexts = new Dictionary<string, string>
            {
                ["image_encoder/config.json"] = Img2VidXtConfigs.ImageEncoder,
                ["unet/config.json"] = Img2VidXtConfigs.Unet,
                ["vae/config.json"] = Img2VidXtConfigs.Vae,
                ["scheduler/scheduler_config.json"] = Img2VidXtConfigs.Scheduler,
                ["feature_extractor/preprocessor_config.json"] = Img2VidXtConfigs.FeatureExtractor,
            },
        };
    }

    /// <summary>A model path naming one file rather than a folder.</summary>
    public static bool IsSingleFile(string path) => path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) && File.Exists(path);

    /// <summary>Lists what a complete folder would have and this one lacks; empty when the folder is complete.</summary>
    public static IReadOnlyList<string> FindMissing(string folder, string? variant = "fp16")
    {
        if (IsSingleFile(folder))
        {
            using var file = SafetensorsFile.Open(folder);
            return [.. StabilityCheckpoint.MissingPrefixes(file.Tensors.Keys).Select(prefix => $"keys {prefix}* of Stability's SVD layout")];
        }

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
        if (IsSingleFile(folder))
        {
            return OpenSingleFile(folder);
        }

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

        var chosen = ChooseWeights(Directory.EnumerateFiles(componentFolder).Select(Path.GetFileName).OfType<string>(), variant);
        return chosen is null ? null : Path.Combine(componentFolder, chosen);
    }

    /// <summary>The weight file <see cref="FindWeights"/> would take among these file names (one component folder's).</summary>
    public static string? ChooseWeights(IEnumerable<string> fileNames, string? variant)
    {
        var files = fileNames.ToList();
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
        return candidates.Select(group => group.Order(StringComparer.Ordinal).FirstOrDefault()).FirstOrDefault(name => name is not null);
    }

    /// <summary>
    /// Of a repository's files (paths with '/'), the ones this pipeline reads for a weight variant: model_index.json,
    /// every component's config, the feature extractor's and scheduler's configs, and per network the weights
    /// <see cref="FindWeights"/> would pick (with a sharded index, its shards). Everything else — the single-file
    /// checkpoints at the top of Stability's repositories, the other precision's copies, images — is left out.
    /// </summary>
    public static IReadOnlyList<string> SelectFiles(IReadOnlyList<string> repositoryPaths, string? variant)
    {
        ArgumentNullException.ThrowIfNull(repositoryPaths);
        var selected = RequiredFiles.Where(repositoryPaths.Contains).ToList();
        foreach (var component in WeightFolders)
        {
            var names = repositoryPaths.Where(path => path.StartsWith(component + "/", StringComparison.Ordinal) && path.IndexOf('/', component.Length + 1) < 0)
                .Select(path => path[(component.Length + 1)..]).ToList();
            if (ChooseWeights(names, variant) is not { } weights)
            {
                continue;
            }

            selected.Add($"{component}/{weights}");
            if (weights.EndsWith(".index.json", StringComparison.Ordinal))
            {
                var stem = weights[..weights.IndexOf(".safetensors", StringComparison.Ordinal)];
                selected.AddRange(names.Where(n => n.Contains("-of-", StringComparison.Ordinal) && n.EndsWith(".safetensors", StringComparison.Ordinal) && n.StartsWith(stem.Split('.')[0], StringComparison.Ordinal)
                    && (variant is null || stem.Contains($".{variant}", StringComparison.Ordinal) == n.Contains($".{variant}", StringComparison.Ordinal))).Select(n => $"{component}/{n}"));
            }
        }

        return selected;
    }
}
