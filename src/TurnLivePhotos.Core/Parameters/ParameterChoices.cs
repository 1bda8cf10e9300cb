using TurnLivePhotos.Engine;
using TurnLivePhotos.Engine.Svd;

namespace TurnLivePhotos.Core.Parameters;

/// <summary>
/// The generation parameters one source set — configuration, a web form, the command line — each null when that
/// source left it out. This is the typed "was it set": a preset or a sampler decides only what no source set.
/// Names and ranges are in <see cref="MotionParameterTable"/>; <see cref="QualityPresets.Resolve"/> lays sources over
/// each other.
/// </summary>
public sealed record ParameterChoices
{
    /// <summary>A preset: a bundle of the other values (<see cref="QualityPresets"/>).</summary>
    public Quality? Quality { get; init; }

    /// <summary>A sampler, which brings its own defaults (<see cref="SamplerDefaults"/>).</summary>
    public Sampler? Sampler { get; init; }

    public int? Fps { get; init; }

    public int? Frames { get; init; }

    public int? InferenceSteps { get; init; }

    public int? DecodeChunkSize { get; init; }

    public int? TargetWidth { get; init; }

    public int? TargetHeight { get; init; }

    public int? MotionBucketId { get; init; }

    public double? NoiseAugStrength { get; init; }

    public double? MinGuidanceScale { get; init; }

    public double? MaxGuidanceScale { get; init; }

    public CameraMove? Camera { get; init; }

    public long? Seed { get; init; }

    /// <summary>Every value of <paramref name="parameters"/> as if each had been set (what a listing shows).</summary>
    public static ParameterChoices Of(MotionParameters parameters, Quality quality)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return new()
        {
            Quality = quality,
            Sampler = parameters.Sampler,
            Fps = parameters.Fps,
            Frames = parameters.Frames,
            InferenceSteps = parameters.InferenceSteps,
            DecodeChunkSize = parameters.DecodeChunkSize,
            TargetWidth = parameters.TargetWidth,
            TargetHeight = parameters.TargetHeight,
            MotionBucketId = parameters.MotionBucketId,
            NoiseAugStrength = parameters.NoiseAugStrength,
            MinGuidanceScale = parameters.MinGuidanceScale,
            MaxGuidanceScale = parameters.MaxGuidanceScale,
            Camera = parameters.Camera,
            Seed = parameters.Seed,
        };
    }

    /// <summary>
    /// <paramref name="parameters"/> with every value set here. The preset and the sampler are bundles, not values:
    /// <see cref="QualityPresets.Resolve"/> lays them first.
    /// </summary>
    public MotionParameters ApplyValues(MotionParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return parameters with
        {
            Fps = Fps ?? parameters.Fps,
            Frames = Frames ?? parameters.Frames,
            InferenceSteps = InferenceSteps ?? parameters.InferenceSteps,
            DecodeChunkSize = DecodeChunkSize ?? parameters.DecodeChunkSize,
            TargetWidth = TargetWidth ?? parameters.TargetWidth,
            TargetHeight = TargetHeight ?? parameters.TargetHeight,
            MotionBucketId = MotionBucketId ?? parameters.MotionBucketId,
            NoiseAugStrength = NoiseAugStrength ?? parameters.NoiseAugStrength,
            MinGuidanceScale = MinGuidanceScale ?? parameters.MinGuidanceScale,
            MaxGuidanceScale = MaxGuidanceScale ?? parameters.MaxGuidanceScale,
            Camera = Camera ?? parameters.Camera,
            Seed = Seed ?? parameters.Seed,
        };
    }
}
