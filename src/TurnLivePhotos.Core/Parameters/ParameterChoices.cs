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
        return MotionParameterTable.All.Aggregate(new ParameterChoices { Quality = quality }, (choices, row) => row.Take(parameters, choices));
    }

    /// <summary>
    /// <paramref name="parameters"/> with every value set here. The preset and the sampler are bundles, not values:
    /// <see cref="QualityPresets.Resolve"/> lays them first.
    /// </summary>
    public MotionParameters ApplyValues(MotionParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return MotionParameterTable.All.Aggregate(parameters, (laid, row) => row.Lay(this, laid));
    }
}
