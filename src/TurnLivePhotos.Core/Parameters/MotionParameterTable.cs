using TurnLivePhotos.Engine;
using TurnLivePhotos.Engine.Svd;

namespace TurnLivePhotos.Core.Parameters;

/// <summary>Where a parameter may be set: configuration ([ModelOptions]), the command line, the web forms.</summary>
[Flags]
public enum ParameterSources
{
    Settings = 1,
    CommandLine = 2,
    Form = 4,
    Everywhere = Settings | CommandLine | Form,
}

/// <summary>
/// The one table of the generation parameters: each one's names (form field, CLI option, [ModelOptions] key), its
/// range, and where it may be set; the defaults are <see cref="MotionParameters"/>' initial values. Values outside a range crash or exhaust an engine, so
/// every reader refuses them up front. Adding a parameter is a property on <see cref="MotionParameters"/> and
/// <see cref="ParameterChoices"/> and one line here.
/// </summary>
/// <remarks>
/// Each row reads and writes its value twice, on <see cref="ParameterChoices"/> (what a source set) and on
/// <see cref="MotionParameters"/> (what the engine gets); Quality has no engine value, and the sampler is laid as a bundle.
/// Rejected: attributes on the record's properties read by reflection — the table would be spread over the
/// record, and a reader would have to find each piece again; a plain list reads top to bottom.
/// </remarks>
public static class MotionParameterTable
{
    public static readonly NumberParameter<int> Fps = new("fps", "OutputFPS", new(1, 60), ParameterSources.Everywhere, "Frames per second", p => p.Fps, (p, v) => p with { Fps = v },
        p => p.Fps, (p, v) => p with { Fps = v });
    public static readonly NumberParameter<int> Frames = new("frames", "OutputFrames", new(1, 150), ParameterSources.Everywhere, "Number of frames", p => p.Frames, (p, v) => p with { Frames = v },
        p => p.Frames, (p, v) => p with { Frames = v });
    public static readonly NumberParameter<int> InferenceSteps = new("steps", "InferenceSteps", new(1, 200), ParameterSources.Settings | ParameterSources.CommandLine, "Denoising steps for SVD", p => p.InferenceSteps, (p, v) => p with { InferenceSteps = v },
        p => p.InferenceSteps, (p, v) => p with { InferenceSteps = v });
    public static readonly NumberParameter<int> DecodeChunkSize = new("decode_chunk_size", "DecodeChunkSize", new(1, 150), ParameterSources.Settings, "Frames decoded at once (empty: all)", p => p.DecodeChunkSize, (p, v) => p with { DecodeChunkSize = v },
        p => p.DecodeChunkSize, (p, v) => p with { DecodeChunkSize = v });
    public static readonly NumberParameter<int> TargetWidth = new("width", "ImagePromptWidth", new(64, 4096), ParameterSources.Settings, "Pixel budget width of the generated frames", p => p.TargetWidth, (p, v) => p with { TargetWidth = v },
        p => p.TargetWidth, (p, v) => p with { TargetWidth = v });
    public static readonly NumberParameter<int> TargetHeight = new("height", "ImagePromptHeight", new(64, 4096), ParameterSources.Settings, "Pixel budget height of the generated frames", p => p.TargetHeight, (p, v) => p with { TargetHeight = v },
        p => p.TargetHeight, (p, v) => p with { TargetHeight = v });
    public static readonly NumberParameter<int> MotionBucketId = new("motion_bucket_id", "MotionBucketId", new(0, MotionParameters.MaxMotionBucketId), ParameterSources.Everywhere, "Amount of motion", p => p.MotionBucketId, (p, v) => p with { MotionBucketId = v },
        p => p.MotionBucketId, (p, v) => p with { MotionBucketId = v }, Aliases: ["motion_bucket"]);
    public static readonly NumberParameter<double> NoiseAugStrength = new("noise_aug_strength", "NoiseAugStrength", new(0, 1), ParameterSources.Everywhere, "Noise added to the photo before generation", p => p.NoiseAugStrength, (p, v) => p with { NoiseAugStrength = v },
        p => p.NoiseAugStrength, (p, v) => p with { NoiseAugStrength = v });
    public static readonly NumberParameter<double> MinGuidanceScale = new("min_guidance_scale", "MinGuidanceScale", new(1, 10), ParameterSources.Settings, "Guidance for the first frame", p => p.MinGuidanceScale, (p, v) => p with { MinGuidanceScale = v },
        p => p.MinGuidanceScale, (p, v) => p with { MinGuidanceScale = v });
    public static readonly NumberParameter<double> MaxGuidanceScale = new("max_guidance_scale", "MaxGuidanceScale", new(1, 10), ParameterSources.Everywhere, "Guidance for the last frame", p => p.MaxGuidanceScale, (p, v) => p with { MaxGuidanceScale = v },
        p => p.MaxGuidanceScale, (p, v) => p with { MaxGuidanceScale = v });
    public static readonly ChoiceParameter<Quality> Quality = new("quality", "Quality", ParameterSources.Everywhere, "Preset of frames, size, steps and sampler (see 'settings'); keys set explicitly win", p => p.Quality, (p, v) => p with { Quality = v },
        Read: null, Write: null);
    public static readonly ChoiceParameter<Sampler> Sampler = new("sampler", "Sampler", ParameterSources.Everywhere, "Denoising sampler: euler, or animatelcm for AnimateLCM's few-step UNet ([ModelOptions] UNetWeights); a sampler named alone brings its defaults", p => p.Sampler, (p, v) => p with { Sampler = v },
        p => p.Sampler, Write: null);
    public static readonly ChoiceParameter<CameraMove> Camera = new("camera", "Camera", ParameterSources.Everywhere, "The cinematic engine's camera move (auto chooses from the depth)", p => p.Camera, (p, v) => p with { Camera = v },
        p => p.Camera, (p, v) => p with { Camera = v });
    public static readonly NumberParameter<long> Seed = new("seed", "Seed", new(0, long.MaxValue), ParameterSources.Everywhere, "Seed: the same photo, settings and seed give the same result", p => p.Seed, (p, v) => p with { Seed = v },
        p => p.Seed, (p, v) => p with { Seed = v });

    /// <summary>Every parameter, in the order the settings list them.</summary>
    public static readonly IReadOnlyList<MotionParameter> All =
        [Fps, Frames, InferenceSteps, DecodeChunkSize, TargetWidth, TargetHeight, MotionBucketId, NoiseAugStrength, MinGuidanceScale, MaxGuidanceScale, Quality, Sampler, Camera, Seed];

    /// <summary>The parameters that may be set from <paramref name="source"/>.</summary>
    public static IEnumerable<MotionParameter> From(ParameterSources source) => All.Where(parameter => parameter.Sources.HasFlag(source));
}
