using TurnLivePhotos.Engine;
using TurnLivePhotos.Engine.Svd;

namespace TurnLivePhotos.Core.Parameters;

/// <summary>The settings each <see cref="Quality"/> stands for, and how sources of parameters are laid over each other.</summary>
public static class QualityPresets
{
    /// <summary>Euler steps of <see cref="Quality.Fast"/> when no few-step weights are configured.</summary>
    public const int FastEulerSteps = 10;

    /// <summary>Euler steps of <see cref="Quality.Best"/>.</summary>
    public const int BestSteps = 40;

    /// <summary>The rows a preset decides, whatever it is laid over: its sampler, that sampler's defaults, its steps, frames and size.</summary>
    public static readonly IReadOnlyList<MotionParameter> Decided =
    [
        MotionParameterTable.Sampler, MotionParameterTable.InferenceSteps, MotionParameterTable.MinGuidanceScale, MotionParameterTable.MaxGuidanceScale,
        MotionParameterTable.MotionBucketId, MotionParameterTable.Fps, MotionParameterTable.Frames, MotionParameterTable.TargetWidth, MotionParameterTable.TargetHeight,
    ];

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
            Quality.Fast when fewStepWeights => SamplerDefaults.Apply(Sampler.AnimateLcm, parameters) with { Frames = 14, TargetWidth = 512, TargetHeight = 320 },
            Quality.Fast => SamplerDefaults.Apply(Sampler.Euler, parameters) with { InferenceSteps = FastEulerSteps, Frames = 14, TargetWidth = 512, TargetHeight = 320 },
            Quality.Best => SamplerDefaults.Apply(Sampler.Euler, parameters) with { InferenceSteps = BestSteps, Frames = standard.Frames, TargetWidth = standard.TargetWidth, TargetHeight = standard.TargetHeight },
            _ => SamplerDefaults.Apply(Sampler.Euler, parameters) with { Frames = standard.Frames, TargetWidth = standard.TargetWidth, TargetHeight = standard.TargetHeight },
        };
    }

    /// <summary>
    /// One source's <paramref name="choices"/> laid over what earlier sources gave: the preset it names, then the
    /// defaults of the sampler it names, then the values an earlier source set (<paramref name="kept"/>: they win over
    /// a later preset as over their own), then this source's own values.
    /// </summary>
    public static MotionParameters Resolve(MotionParameters earlier, ParameterChoices choices, bool fewStepWeights, ParameterChoices? kept = null)
    {
        ArgumentNullException.ThrowIfNull(earlier);
        ArgumentNullException.ThrowIfNull(choices);
        var parameters = choices.Quality is { } preset ? Apply(preset, earlier, fewStepWeights) : earlier;
        parameters = choices.Sampler is { } sampler ? SamplerDefaults.Apply(sampler, parameters) : parameters;
        parameters = kept?.ApplyValues(parameters) ?? parameters;
        return choices.ApplyValues(parameters);
    }

    /// <summary>
    /// What a preset sets, in [ModelOptions] keys, for <c>settings</c> and the docs: the <see cref="Decided"/> rows of
    /// the preset applied to the defaults, once with and once without few-step weights where that differs.
    /// </summary>
    public static string Describe(Quality quality)
    {
        var withWeights = Keys(Apply(quality, new MotionParameters(), fewStepWeights: true));
        var without = Keys(Apply(quality, new MotionParameters(), fewStepWeights: false));
        return withWeights == without ? without : $"with UNetWeights set: {withWeights}; without: {without}";

        static string Keys(MotionParameters applied)
        {
            var choices = ParameterChoices.Of(applied, Quality.Standard);
            return string.Join(", ", Decided.Select(row => $"{row.SettingsKey}={row.Format(choices)}"));
        }
    }
}
