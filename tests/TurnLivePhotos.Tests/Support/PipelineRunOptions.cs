using System.Text.Json;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Engine.Svd;

namespace TurnLivePhotos.Tests.Support;

/// <summary>The pipeline tests write their runs as <see cref="MotionParameters"/>; this maps them as the engine does.</summary>
public static class PipelineRunOptions
{
    public static SvdRunOptions ToRunOptions(this MotionParameters parameters, ulong seed = 0, INoiseSource? noise = null) =>
        new() { Clip = parameters.ToClip(), Sampling = parameters.ToSampling(), Seed = seed, Noise = noise };

    /// <summary>
    /// The <c>StableVideoDiffusionPipeline</c> call a fixture set's <c>params.json</c> records, as the parameters we
    /// run with (the inference steps as given: the AnimateLCM set records them apart).
    /// </summary>
    public static MotionParameters FromPipelineCall(JsonElement call, int inferenceSteps, Sampler sampler = Sampler.Euler) => new()
    {
        Sampler = sampler,
        Frames = call.GetProperty("num_frames").GetInt32(),
        InferenceSteps = inferenceSteps,
        Fps = call.GetProperty("fps").GetInt32(),
        MotionBucketId = call.GetProperty("motion_bucket_id").GetInt32(),
        NoiseAugStrength = call.GetProperty("noise_aug_strength").GetDouble(),
        MinGuidanceScale = call.GetProperty("min_guidance_scale").GetDouble(),
        MaxGuidanceScale = call.GetProperty("max_guidance_scale").GetDouble(),
        DecodeChunkSize = call.GetProperty("decode_chunk_size").GetInt32(),
    };
}
