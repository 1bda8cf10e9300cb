using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Engine.Svd;
using TurnLivePhotos.Hub;

namespace TurnLivePhotos.Core.Models;

/// <summary>
/// What <c>model download</c> fetches for these settings, one <see cref="DownloadRequest"/> per model. Today that is
/// the SVD pipeline folder; a further model (an AnimateLCM UNet file from another repository, a depth model folder)
/// is one more entry here with its own repository, destination and file selection.
/// </summary>
public static class ModelDownloads
{
    /// <summary>The command that fetches the model, as messages print it.</summary>
    public const string Command = "turn-live-photos model download";

    public static IReadOnlyList<DownloadRequest> For(AppSettings settings, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return [Svd(settings, environment)];
    }

    /// <summary>
    /// The SVD pipeline: repository from [InstallationOptions] ModelRepositoryUrl (hub replaced by HF_ENDPOINT when
    /// set), into ModelsHome/ModelName, only the files the pipeline reads for [ModelOptions] Variant.
    /// </summary>
    public static DownloadRequest Svd(AppSettings settings, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(environment);
        var model = settings.Model;
        var repository = HubRepository.Parse(settings.ModelRepositoryUrl, model.ModelName, environment(HubRepository.EndpointVariable));
        var variant = string.IsNullOrEmpty(model.Variant) ? null : model.Variant;
        return new DownloadRequest(
            "SVD model",
            repository,
            "main",
            Path.GetFullPath(Path.Combine(settings.Store.ModelsHome, model.ModelName)),
            paths => SvdModelFolder.SelectFiles(paths, variant));
    }

    /// <summary>Where the SVD model is for these settings (ModelsHome, a single file, or the Hugging Face cache).</summary>
    public static SvdModelLocation LocateSvd(AppSettings settings, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var model = settings.Model;
        return SvdModelLocation.Find(settings.Store.ModelsHome, model.ModelName, string.IsNullOrEmpty(model.Variant) ? null : model.Variant, environment);
    }
}
