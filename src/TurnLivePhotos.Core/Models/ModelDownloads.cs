using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Engine.Depth;
using TurnLivePhotos.Engine.Svd;
using TurnLivePhotos.Hub;

namespace TurnLivePhotos.Core.Models;

/// <summary>
/// What <c>model download</c> fetches for these settings, one <see cref="DownloadRequest"/> per model: the SVD
/// pipeline folder, AnimateLCM-SVD-xt's UNet file, the Depth Anything folder. Every one comes from the hub that
/// [InstallationOptions] ModelRepositoryUrl names (or HF_ENDPOINT), so a mirror serves all three. The RIFE weights
/// are no hub repository but one pinned release file (<see cref="Rife"/>).
/// </summary>
public static class ModelDownloads
{
    /// <summary>The command that fetches the model, as messages print it.</summary>
    public const string Command = "turn-live-photos model download";

    /// <summary>The AnimateLCM authors' repository; it holds only UNet weights in diffusers' names (and their demo).</summary>
    public const string AnimateLcmRepoId = "wangfuyun/AnimateLCM-SVD-xt";

    /// <summary>
    /// The UNet file fetched from <see cref="AnimateLcmRepoId"/>: the first release, the one the authors' demo loads
    /// and the AnimateLCM fixtures were made for. (The repository also has AnimateLCM-SVD-xt-1.1.safetensors, of the
    /// same layout; a person who wants it names it in UNetWeights after fetching it themselves.)
    /// </summary>
    public const string AnimateLcmFile = "AnimateLCM-SVD-xt.safetensors";

    /// <summary>The command that fetches <paramref name="model"/>, as messages print it.</summary>
    public static string CommandFor(DownloadableModel model) => model switch
    {
        DownloadableModel.AnimateLcm => Command + " animatelcm",
        DownloadableModel.Depth => Command + " depth",
        DownloadableModel.Rife => Command + " rife",
        _ => Command,
    };

    /// <summary>The hub request for a model kept in a hub repository (every model but <see cref="DownloadableModel.Rife"/>, a single pinned file: <see cref="Rife"/>).</summary>
    public static DownloadRequest For(DownloadableModel model, AppSettings settings, Func<string, string?> environment) => model switch
    {
        DownloadableModel.AnimateLcm => AnimateLcm(settings, environment),
        DownloadableModel.Depth => Depth(settings, environment),
        DownloadableModel.Rife => throw new ArgumentException("the RIFE model is a pinned file, not a hub repository; see ModelDownloads.Rife", nameof(model)),
        _ => Svd(settings, environment),
    };

    /// <summary>
    /// The RIFE weights: [ModelOptions] RifeModelUrl (default the pinned release asset) into RifeModelPath, held to the
    /// pinned size and SHA-256 unless RifeModelSha256 names another file (then the server's size is taken).
    /// </summary>
    public static PinnedFile Rife(AppSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var model = settings.Model;
        return model.RifeModelSha256 is { } own && own != RifeRelease.Sha256
            ? new PinnedFile("RIFE model", model.RifeModelUrl, own, null, model.RifeModelPath)
            : new PinnedFile("RIFE model", model.RifeModelUrl, RifeRelease.Sha256, RifeRelease.Size, model.RifeModelPath);
    }

    /// <summary>
    /// The SVD pipeline: repository from [InstallationOptions] ModelRepositoryUrl (hub replaced by HF_ENDPOINT when
    /// set), into ModelsHome/ModelName, only the files the pipeline reads for [ModelOptions] Variant.
    /// </summary>
    public static DownloadRequest Svd(AppSettings settings, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var model = settings.Model;
        var repository = SvdRepository(settings, environment);
        var variant = string.IsNullOrEmpty(model.Variant) ? null : model.Variant;
        return new DownloadRequest(
            "SVD model",
            repository,
            "main",
            Path.GetFullPath(Path.Combine(settings.Store.ModelsHome, model.ModelName)),
            paths => SvdModelFolder.SelectFiles(paths, variant));
    }

    /// <summary>
    /// AnimateLCM-SVD-xt's UNet, alone, into ModelsHome/wangfuyun/AnimateLCM-SVD-xt/ (its own folder, so its download
    /// record sits beside it). It is not picked up by itself — it replaces the UNet for every run, whatever the
    /// sampler — so the command prints the [ModelOptions] UNetWeights line that turns it on (<see cref="AnimateLcmPath"/>).
    /// </summary>
    public static DownloadRequest AnimateLcm(AppSettings settings, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new DownloadRequest(
            "AnimateLCM UNet",
            new HubRepository(SvdRepository(settings, environment).Endpoint, AnimateLcmRepoId),
            "main",
            AnimateLcmFolder(settings),
            paths => paths.Contains(AnimateLcmFile, StringComparer.Ordinal)
                ? [AnimateLcmFile]
                : throw new HubException($"{AnimateLcmRepoId} has no {AnimateLcmFile} (it lists {string.Join(", ", paths.Where(p => p.EndsWith(".safetensors", StringComparison.Ordinal)).DefaultIfEmpty("no .safetensors file"))})"));
    }

    /// <summary>Where <c>model download animatelcm</c> puts the UNet file: the value for [ModelOptions] UNetWeights.</summary>
    public static string AnimateLcmPath(AppSettings settings) => Path.Combine(AnimateLcmFolder(settings), AnimateLcmFile);

    /// <summary>
    /// Depth Anything V2 Small as transformers loads it (config.json, model.safetensors, preprocessor_config.json) into
    /// ModelsHome/DepthModelName, where the cinematic engine looks. The repository is DepthModelName when that is an
    /// ORG/NAME (the default is the hub's depth-anything/Depth-Anything-V2-Small-hf), else that default.
    /// </summary>
    public static DownloadRequest Depth(AppSettings settings, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var name = settings.Model.DepthModelName;
        var repoId = HubRepository.IsRepoId(name) ? name : DepthModelFolder.DefaultName;
        return new DownloadRequest(
            "depth model",
            new HubRepository(SvdRepository(settings, environment).Endpoint, repoId),
            "main",
            Path.GetFullPath(Path.Combine(settings.Store.ModelsHome, name)),
            paths => DepthModelFolder.Files.Except(paths, StringComparer.Ordinal).ToList() is { Count: > 0 } missing
                ? throw new HubException($"{repoId} is not a Depth Anything model in transformers' layout (it has no {string.Join(", ", missing)})")
                : DepthModelFolder.Files);
    }

    /// <summary>Where the SVD model is for these settings (ModelsHome, a single file, or the Hugging Face cache).</summary>
    public static SvdModelLocation LocateSvd(AppSettings settings, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var model = settings.Model;
        return SvdModelLocation.Find(settings.Store.ModelsHome, model.ModelName, string.IsNullOrEmpty(model.Variant) ? null : model.Variant, environment);
    }

    /// <summary>[InstallationOptions] ModelRepositoryUrl read as the SVD repository on its hub (HF_ENDPOINT replacing the hub when set).</summary>
    private static HubRepository SvdRepository(AppSettings settings, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return HubRepository.Parse(settings.ModelRepositoryUrl, settings.Model.ModelName, environment(HubRepository.EndpointVariable));
    }

    private static string AnimateLcmFolder(AppSettings settings) => Path.GetFullPath(Path.Combine(settings.Store.ModelsHome, AnimateLcmRepoId));
}
