namespace TurnLivePhotos.Engine.Svd;

/// <summary>
/// Where a run's random numbers come from, in the order the pipeline asks for them: the augmentation noise, the
/// starting latents, then one draw per step for samplers that add fresh noise (AnimateLCM). The engine uses its
/// own seeded generator (<see cref="GaussianNoise"/>); a test can replay the draws a reference run recorded.
/// </summary>
public interface INoiseSource
{
    /// <summary>The next <paramref name="count"/> standard normal values.</summary>
    float[] Next(long count);
}
