namespace TurnLivePhotos.Engine.Svd;

/// <summary>
/// What the denoising loop needs from a sampler (diffusers' scheduler interface, as SVD's pipeline uses it):
/// a σ schedule, the UNet's timestep per step, how to scale the UNet input, and one update per step.
/// </summary>
public interface IDenoisingScheduler
{
    /// <summary>σ for each step plus a final 0 (N + 1 values).</summary>
    float[] Sigmas { get; }

    /// <summary>The UNet's timestep input for each step (N values), as the UNet receives it (float32).</summary>
    float[] Timesteps { get; }

    /// <summary>The starting latents are N(0, 1) noise times this.</summary>
    float InitNoiseSigma { get; }

    int StepCount { get; }

    void SetTimesteps(int steps);

    /// <summary>The UNet input for a step from the current sample, into <paramref name="destination"/> (may be the same span).</summary>
    void ScaleModelInput(ReadOnlySpan<float> sample, int step, Span<float> destination);

    /// <summary>One step from σ_step to σ_step+1, updating <paramref name="sample"/> in place; stochastic samplers draw from <paramref name="noise"/>.</summary>
    void Step(ReadOnlySpan<float> modelOutput, int step, Span<float> sample, INoiseSource noise);
}
