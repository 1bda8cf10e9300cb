using TurnLivePhotos.Media.Imaging;

namespace TurnLivePhotos.Engine;

/// <summary>
/// What a person can tune for one clip — the one user-facing set of generation parameters (stored in jobs as JSON, so
/// its shape stays). The initial values here are the defaults everywhere (the diffusers SVD pipeline's); the names and
/// ranges people set them by are Core's. Engines take the typed parts of it that they read, mapped once below.
/// </summary>
public sealed record MotionParameters
{
    /// <summary>The largest motion bucket id: SVD was conditioned on 0–255, and the other engines scale their motion by it.</summary>
    public const int MaxMotionBucketId = ClipOptions.MaxMotionBucketId;

    public int Frames { get; init; } = 25;

    public int Fps { get; init; } = 7;

    public int MotionBucketId { get; init; } = 127;

    public double NoiseAugStrength { get; init; } = 0.02;

    public double MinGuidanceScale { get; init; } = 1.0;

    public double MaxGuidanceScale { get; init; } = 3.0;

    public int InferenceSteps { get; init; } = 25;

    /// <summary>How the AI engine denoises (Euler for the base weights, AnimateLCM for its few-step UNet).</summary>
    public Svd.Sampler Sampler { get; init; } = Svd.Sampler.Euler;

    /// <summary>Frames decoded at once; null decodes all frames together (the diffusers default).</summary>
    public int? DecodeChunkSize { get; init; }

    /// <summary>Noise seed; null lets the engine choose (the classic engine then uses 0).</summary>
    public long? Seed { get; init; }

    /// <summary>Pixel budget of the generated frames (width × height); the photo's aspect ratio is kept.</summary>
    public int TargetWidth { get; init; } = 1024;

    public int TargetHeight { get; init; } = 576;

    /// <summary>The cinematic engine's camera move; Auto chooses from the depth.</summary>
    public CameraMove Camera { get; init; } = CameraMove.Auto;

    /// <summary>The request every engine takes for <paramref name="photo"/>: the clip plus each engine's own part.</summary>
    public MotionRequest ToRequest(RgbImage photo) => new(photo, ToClip(), ToSampling(), ToCamera());

    public ClipOptions ToClip() => new(Frames, Fps, MotionBucketId, Seed, TargetWidth, TargetHeight);

    public SamplingOptions ToSampling() => new(NoiseAugStrength, MinGuidanceScale, MaxGuidanceScale, InferenceSteps, Sampler, DecodeChunkSize);

    public CameraOptions ToCamera() => new(Camera);
}
