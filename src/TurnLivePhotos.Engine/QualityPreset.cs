namespace TurnLivePhotos.Engine;

/// <summary>
/// Presets a person understands (<c>--quality</c>, [ModelOptions] Quality, the page): each is only a named bundle
/// of existing generation settings, applied under whatever the person set explicitly.
/// </summary>
public enum Quality
{
    /// <summary>Seconds-to-minutes: the few-step AnimateLCM sampler when its UNet weights are there (else fewer Euler steps), 14 frames, long side 512.</summary>
    Fast,

    /// <summary>The defaults: 25 frames, 25 Euler steps, 1024×576.</summary>
    Standard,

    /// <summary>More Euler steps at 1024×576.</summary>
    Best,
}

/// <summary>The settings each <see cref="Quality"/> stands for.</summary>
public static class QualityPresets
{
    /// <summary>Euler steps of <see cref="Quality.Fast"/> when no few-step weights are configured.</summary>
    public const int FastEulerSteps = 10;

    /// <summary>Euler steps of <see cref="Quality.Best"/>.</summary>
    public const int BestSteps = 40;

    /// <summary>
    /// The preset's whole bundle laid over <paramref name="parameters"/>: its sampler with that sampler's defaults,
    /// then its steps, frames and size. <paramref name="fewStepWeights"/> says whether a UNet made for the few-step
    /// sampler is configured ([ModelOptions] UNetWeights).
    /// </summary>
    public static MotionParameters Apply(Quality quality, MotionParameters parameters, bool fewStepWeights)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var standard = new MotionParameters();
        return quality switch
        {
            Quality.Fast when fewStepWeights => Svd.SamplerDefaults.Apply(Svd.Sampler.AnimateLcm, parameters) with { Frames = 14, TargetWidth = 512, TargetHeight = 320 },
            Quality.Fast => Svd.SamplerDefaults.Apply(Svd.Sampler.Euler, parameters) with { InferenceSteps = FastEulerSteps, Frames = 14, TargetWidth = 512, TargetHeight = 320 },
            Quality.Best => Svd.SamplerDefaults.Apply(Svd.Sampler.Euler, parameters) with { InferenceSteps = BestSteps, Frames = standard.Frames, TargetWidth = standard.TargetWidth, TargetHeight = standard.TargetHeight },
            _ => Svd.SamplerDefaults.Apply(Svd.Sampler.Euler, parameters) with { Frames = standard.Frames, TargetWidth = standard.TargetWidth, TargetHeight = standard.TargetHeight },
        };
    }

    /// <summary>
    /// The parameters one source of settings gives before its own explicit values: the preset it names (if any),
    /// then the defaults of the sampler it names (if any), over what earlier sources gave.
    /// </summary>
    public static MotionParameters Layer(MotionParameters earlier, Quality? quality, Svd.Sampler? sampler, bool fewStepWeights)
    {
        var parameters = quality is { } preset ? Apply(preset, earlier, fewStepWeights) : earlier;
        return sampler is { } chosen ? Svd.SamplerDefaults.Apply(chosen, parameters) : parameters;
    }

    /// <summary>
    /// <see cref="Layer(MotionParameters, Quality?, Svd.Sampler?, bool)"/> for a later source (a web form) over
    /// settings that set the rows in <paramref name="kept"/> by a key: those keep the settings' values, exactly as if
    /// the preset and the sampler had been named in the settings themselves. The preset and the sampler named here win
    /// over the settings' own.
    /// </summary>
    public static MotionParameters Layer(MotionParameters earlier, Quality? quality, Svd.Sampler? sampler, bool fewStepWeights, IEnumerable<MotionParameter> kept)
    {
        ArgumentNullException.ThrowIfNull(earlier);
        ArgumentNullException.ThrowIfNull(kept);
        var layered = Layer(earlier, quality, sampler, fewStepWeights);
        foreach (var row in kept.Where(row => !ReferenceEquals(row, MotionParameterTable.Quality) && !ReferenceEquals(row, MotionParameterTable.Sampler)))
        {
            layered = row.CopyValue(earlier, layered);
        }

        return layered;
    }

    /// <summary>What a preset sets, in [ModelOptions] keys, for <c>settings</c> and the README.</summary>
    public static string Describe(Quality quality) => quality switch
    {
        Quality.Fast => $"Sampler=animatelcm when UNetWeights is set (InferenceSteps=4, MinGuidanceScale=1, MaxGuidanceScale=1.2, MotionBucketId=80, OutputFPS=8), else Sampler=euler with InferenceSteps={FastEulerSteps}; OutputFrames=14, ImagePromptWidth=512, ImagePromptHeight=320",
        Quality.Best => $"Sampler=euler with InferenceSteps={BestSteps}, OutputFrames=25, ImagePromptWidth=1024, ImagePromptHeight=576",
        _ => "Sampler=euler (InferenceSteps=25, MinGuidanceScale=1, MaxGuidanceScale=3, MotionBucketId=127, OutputFPS=7), OutputFrames=25, ImagePromptWidth=1024, ImagePromptHeight=576",
    };
}
