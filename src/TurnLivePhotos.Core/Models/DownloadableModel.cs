namespace TurnLivePhotos.Core.Models;

/// <summary>What <c>model download</c> can fetch (its argument; <see cref="Svd"/> when none is given).</summary>
public enum DownloadableModel
{
    /// <summary>The SVD pipeline folder from [InstallationOptions] ModelRepositoryUrl into ModelsHome/ModelName.</summary>
    Svd,

    /// <summary>AnimateLCM-SVD-xt's UNet file, for [ModelOptions] UNetWeights and the few-step sampler.</summary>
    AnimateLcm,

    /// <summary>The cinematic engine's Depth Anything V2 Small folder into ModelsHome/DepthModelName.</summary>
    Depth,

    /// <summary>Practical-RIFE's flownet.pkl from a pinned release URL into [ModelOptions] RifeModelPath (<see cref="RifeRelease"/>).</summary>
    Rife,
}
