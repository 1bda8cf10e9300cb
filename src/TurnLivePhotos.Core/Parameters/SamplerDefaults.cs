using TurnLivePhotos.Engine;
using TurnLivePhotos.Engine.Svd;

namespace TurnLivePhotos.Core.Parameters;

/// <summary>The settings a sampler works best with, applied when it is chosen and the person set nothing else.</summary>
public static class SamplerDefaults
{
    /// <summary>Why the few-step sampler cannot run: its UNet weights are not configured.</summary>
    public const string FewStepWeightsMissing = "animatelcm needs AnimateLCM-SVD-xt's UNet ([ModelOptions] UNetWeights), which is not configured here";

    /// <summary>The line a command prints when <see cref="FewStepWeightsMissing"/>: the reason and the command that fixes it.</summary>
    public static string FewStepWeightsMissingLine => $"{FewStepWeightsMissing} (`{Models.ModelDownloads.CommandFor(Models.DownloadableModel.AnimateLcm)}` fetches it)";

    /// <summary>
    /// AnimateLCM-SVD-xt's demo values (its authors' app.py): 4 steps, guidance 1.0 → 1.2, motion bucket 80, 8 fps.
    /// Euler takes the diffusers pipeline's defaults (the initial values of <see cref="MotionParameters"/>).
    /// </summary>
    public static MotionParameters Apply(Sampler sampler, MotionParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var diffusers = new MotionParameters();
        return sampler == Sampler.AnimateLcm
            ? parameters with { Sampler = sampler, InferenceSteps = 4, MinGuidanceScale = 1.0, MaxGuidanceScale = 1.2, MotionBucketId = 80, Fps = 8 }
            : parameters with
            {
                Sampler = sampler,
                InferenceSteps = diffusers.InferenceSteps,
                MinGuidanceScale = diffusers.MinGuidanceScale,
                MaxGuidanceScale = diffusers.MaxGuidanceScale,
                MotionBucketId = diffusers.MotionBucketId,
                Fps = diffusers.Fps,
            };
    }
}
