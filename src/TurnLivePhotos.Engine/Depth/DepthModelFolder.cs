using TurnLivePhotos.Engine.Weights;

namespace TurnLivePhotos.Engine.Depth;

/// <summary>
/// A Depth Anything model folder as the Hugging Face hub serves it (depth-anything/Depth-Anything-V2-Small-hf):
/// config.json, model.safetensors, preprocessor_config.json. Found at ModelsHome/[ModelOptions] DepthModelName.
/// </summary>
public sealed record DepthModelFolder(string Root, string Config, string Weights, string Preprocessor)
{
    public const string DefaultName = "depth-anything/Depth-Anything-V2-Small-hf";

    /// <summary>The files the engine reads (and all that a download fetches from the repository).</summary>
    public static readonly IReadOnlyList<string> Files = ["config.json", "model.safetensors", "preprocessor_config.json"];

    /// <summary>What the folder lacks; empty when it is complete.</summary>
    public static IReadOnlyList<string> FindMissing(string folder) =>
        !Directory.Exists(folder) ? ["the folder itself"] : Files.Where(file => !File.Exists(Path.Combine(folder, file))).ToList();

    /// <exception cref="WeightFileException">The folder is incomplete; the message lists what is missing.</exception>
    public static DepthModelFolder Open(string folder)
    {
        var missing = FindMissing(folder);
        if (missing.Count > 0)
        {
            throw new WeightFileException($"the depth model folder {folder} is incomplete (missing {string.Join(", ", missing)})");
        }

        var root = Path.GetFullPath(folder);
        return new DepthModelFolder(root, Path.Combine(root, "config.json"), Path.Combine(root, "model.safetensors"), Path.Combine(root, "preprocessor_config.json"));
    }
}
