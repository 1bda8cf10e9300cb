namespace TurnLivePhotos.Engine.Svd;

/// <summary>
/// How the denoising loop walks from noise to a clip. Each sampler suits the UNet weights
/// it was made for: Euler the base SVD weights (about 25 steps), AnimateLCM the consistency-distilled
/// AnimateLCM-SVD-xt UNet (about 4 steps).
/// </summary>
public enum Sampler
{
    /// <summary>diffusers' EulerDiscreteScheduler with Karras sigmas (the base model's scheduler_config.json).</summary>
    Euler,

    /// <summary>The AnimateLCM authors' consistency-model sampler (AnimateLCMSVDStochasticIterativeScheduler).</summary>
    AnimateLcm,
}
