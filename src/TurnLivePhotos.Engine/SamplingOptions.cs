using TurnLivePhotos.Engine.Svd;

namespace TurnLivePhotos.Engine;

/// <summary>
/// How the SVD engine denoises (diffusers' StableVideoDiffusionPipeline.__call__ arguments of the same names); only
/// that engine reads them. Mapped from <see cref="MotionParameters"/> by <see cref="MotionParameters.ToSampling"/>.
/// </summary>
/// <param name="DecodeChunkSize">Frames decoded at once; null decodes all frames together (the diffusers default).</param>
public sealed record SamplingOptions(double NoiseAugStrength, double MinGuidanceScale, double MaxGuidanceScale, int InferenceSteps, Sampler Sampler, int? DecodeChunkSize);
