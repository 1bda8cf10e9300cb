using TurnLivePhotos.Engine.Svd;
using TurnLivePhotos.Hub;

namespace TurnLivePhotos.Core.Models;

/// <summary>Where a usable SVD model was found.</summary>
public enum ModelSource
{
    /// <summary>Nothing usable: the path is where a download would put it.</summary>
    Missing,

    /// <summary>A diffusers folder at ModelsHome/ModelName (downloaded by <c>model download</c> or laid there by hand).</summary>
    ModelsHome,

    /// <summary>A snapshot in the Hugging Face cache, used in place.</summary>
    HubCache,

    /// <summary>One .safetensors checkpoint in Stability's original layout.</summary>
    SingleFile,
}

/// <summary>The model the engine will use: its source, its path (folder or file), and that in words.</summary>
public sealed record SvdModelLocation(ModelSource Source, string Path, string Description)
{
    public bool IsUsable => Source != ModelSource.Missing;

    /// <summary>
    /// Looks for the model named <paramref name="modelName"/>, in this order: the folder ModelsHome/ModelName; a
    /// .safetensors file (ModelName as a path, absolute or under ModelsHome); the Hugging Face cache (the first
    /// complete snapshot of repository ModelName). Nothing is copied: a cached model is used where it is.
    /// </summary>
    public static SvdModelLocation Find(string modelsHome, string modelName, string? variant, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(modelName);
        var folder = System.IO.Path.GetFullPath(System.IO.Path.Combine(modelsHome, modelName));
        if (SvdModelFolder.IsComplete(folder, variant))
        {
            return new SvdModelLocation(ModelSource.ModelsHome, folder, $"model folder {folder}");
        }

        if (modelName.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) && File.Exists(folder))
        {
            return new SvdModelLocation(ModelSource.SingleFile, folder, $"single-file checkpoint {folder}");
        }

        if (HubRepository.IsRepoId(modelName))
        {
            var cache = HubCache.Root(environment);
            var snapshot = HubCache.Snapshots(cache, modelName).FirstOrDefault(s => SvdModelFolder.IsComplete(s.Folder, variant));
            if (snapshot is not null)
            {
                return new SvdModelLocation(ModelSource.HubCache, snapshot.Folder, $"Hugging Face cache {snapshot.Folder} (commit {snapshot.Commit})");
            }
        }

        return new SvdModelLocation(ModelSource.Missing, folder, $"no model at {folder} nor in the Hugging Face cache");
    }
}
