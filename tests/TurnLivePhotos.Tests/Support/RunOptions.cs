using TurnLivePhotos.Engine;
using TurnLivePhotos.Engine.Svd;

namespace TurnLivePhotos.Tests.Support;

/// <summary>The pipeline tests write their runs as <see cref="MotionParameters"/>; this maps them as the engine does.</summary>
public static class RunOptions
{
    public static SvdRunOptions ToRunOptions(this MotionParameters parameters, ulong seed = 0, INoiseSource? noise = null) =>
        new() { Clip = parameters.ToClip(), Sampling = parameters.ToSampling(), Seed = seed, Noise = noise };
}
