using System.Numerics.Tensors;
using System.Text.Json;

namespace TurnLivePhotos.Engine.Svd;

/// <summary>
/// The constructor arguments of AnimateLCM's <c>AnimateLCMSVDStochasticIterativeScheduler</c>. The defaults are
/// the ones the authors' demo (<c>animatelcm_svd/app.py</c>) passes; the model folder's scheduler_config.json is
/// the base model's Euler configuration and is not read for this sampler.
/// </summary>
public sealed record AnimateLcmSchedulerConfig
{
    public int NumTrainTimesteps { get; init; } = 40;

    public double SigmaMin { get; init; } = 0.002;

    public double SigmaMax { get; init; } = 700.0;

    public double SigmaData { get; init; } = 1.0;

    public double SNoise { get; init; } = 1.0;

    public double Rho { get; init; } = 7.0;

    public bool ClipDenoised { get; init; }

    /// <summary>Reads a saved scheduler_config.json; keys it lacks keep app.py's values.</summary>
    public static AnimateLcmSchedulerConfig Load(string path)
    {
        using var json = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = json.RootElement;
        var defaults = new AnimateLcmSchedulerConfig();
        double Number(string key, double fallback) =>
            root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : fallback;
        return new AnimateLcmSchedulerConfig
        {
            NumTrainTimesteps = (int)Number("num_train_timesteps", defaults.NumTrainTimesteps),
            SigmaMin = Number("sigma_min", defaults.SigmaMin),
            SigmaMax = Number("sigma_max", defaults.SigmaMax),
            SigmaData = Number("sigma_data", defaults.SigmaData),
            SNoise = Number("s_noise", defaults.SNoise),
            Rho = Number("rho", defaults.Rho),
            ClipDenoised = root.TryGetProperty("clip_denoised", out var clip) ? clip.ValueKind == JsonValueKind.True : defaults.ClipDenoised,
        };
    }
}

/// <summary>
/// AnimateLCM's consistency-model sampler for SVD, as the authors wrote it (G-U-N/AnimateLCM,
/// <c>animatelcm_svd/animatelcm_scheduler.py</c>), which differs from diffusers' CMStochasticIterativeScheduler:
/// <list type="bullet">
/// <item>the schedule takes every (T / N)-th of T = 40 training steps on a Karras ramp from σ_max down, so σ_min is
/// never reached (the last nonzero σ for 4 steps is 0.497); timesteps are 0.25·ln σ, as for SVD's Euler schedule;</item>
/// <item>the boundary-condition scalings are the v-prediction ones, c_skip = σ_d² / (σ² + σ_d²) and
/// c_out = −σ·σ_d / √(σ² + σ_d²), with no σ_min offset;</item>
/// <item>each step adds fresh noise scaled by σ_next clamped to [0, σ_max] (not √(σ_next² − σ_min²)); the noise is
/// drawn at every step when there is more than one, the last included (where it is multiplied by 0).</item>
/// </list>
/// The authors' pipeline passes no generator to <c>step</c>, so those draws come from torch's global generator,
/// which their demo also seeds for the augmentation noise and the starting latents: one stream, in the order
/// augmentation, latents, step 0, 1, … — the order <see cref="INoiseSource"/> follows here. Arithmetic is float32
/// where the reference works on torch tensors and float64 where it uses numpy or Python floats.
/// </summary>
public sealed class AnimateLcmScheduler(AnimateLcmSchedulerConfig config) : IDenoisingScheduler
{
    public float[] Sigmas { get; private set; } = [];

    public float[] Timesteps { get; private set; } = [];

    /// <summary>√(σ_max² + 1), a Python float in the reference, applied rounded to float32.</summary>
    public float InitNoiseSigma { get; } = (float)Math.Sqrt((config.SigmaMax * config.SigmaMax) + 1);

    public int StepCount => Timesteps.Length;

    public AnimateLcmSchedulerConfig Config => config;

    /// <exception cref="ArgumentOutOfRangeException">More steps than the training schedule has.</exception>
    public void SetTimesteps(int steps)
    {
        if (steps < 1 || steps > config.NumTrainTimesteps)
        {
            throw new ArgumentOutOfRangeException(nameof(steps), steps, $"the AnimateLCM sampler takes 1 to {config.NumTrainTimesteps} steps (its training schedule), got {steps}");
        }

        // integer timesteps (0, r, 2r, …) with r = T // N, as a ramp over T − 1; σ from the Karras formula in float64.
        var ratio = config.NumTrainTimesteps / steps;
        var minInvRho = Math.Pow(config.SigmaMin, 1 / config.Rho);
        var maxInvRho = Math.Pow(config.SigmaMax, 1 / config.Rho);
        var sigmas = Enumerable.Range(0, steps)
            .Select(i => (double)(i * ratio) / (config.NumTrainTimesteps - 1))
            .Select(ramp => Math.Pow(maxInvRho + (ramp * (minInvRho - maxInvRho)), config.Rho))
            .ToArray();
        Timesteps = sigmas.Select(s => (float)(0.25 * Math.Log(s + 1e-44))).ToArray();
        Sigmas = [.. sigmas.Select(s => (float)s), 0f];
    }

    /// <summary>√(σ² + σ_d²) in float32: scale_model_input divides the sample by it.</summary>
    public float InputDivisor(int step)
    {
        var sigma = Sigmas[step];
        return MathF.Sqrt((sigma * sigma) + (float)(config.SigmaData * config.SigmaData));
    }

    /// <summary>The boundary-condition scalings at a step's σ (float32, as the reference's tensor arithmetic).</summary>
    public (float CSkip, float COut) Scalings(int step)
    {
        var sigma = Sigmas[step];
        var dataSquared = (float)(config.SigmaData * config.SigmaData);
        var total = (sigma * sigma) + dataSquared;
        return (dataSquared / total, -sigma * (float)config.SigmaData / MathF.Sqrt(total));
    }

    /// <summary>The scale of the fresh noise a step adds: σ_next clamped to [0, σ_max].</summary>
    public float NoiseScale(int step) => Math.Clamp(Sigmas[step + 1], 0f, (float)config.SigmaMax);

    /// <summary>Whether a step draws noise (every step of a schedule longer than one).</summary>
    public bool DrawsNoise => StepCount > 1;

    public void ScaleModelInput(ReadOnlySpan<float> sample, int step, Span<float> destination) =>
        TensorPrimitives.Divide(sample, InputDivisor(step), destination);

    public void Step(ReadOnlySpan<float> modelOutput, int step, Span<float> sample, INoiseSource noise)
    {
        ArgumentNullException.ThrowIfNull(noise);
        var (cSkip, cOut) = Scalings(step);

        // denoised = c_out · model_output + c_skip · sample
        var denoised = new float[sample.Length];
        var skip = new float[sample.Length];
        TensorPrimitives.Multiply(modelOutput, cOut, denoised);
        TensorPrimitives.Multiply(sample, cSkip, skip);
        TensorPrimitives.Add(denoised, skip, denoised);
        if (config.ClipDenoised)
        {
            TensorPrimitives.Clamp(denoised, -1f, 1f, denoised);
        }

        // prev = denoised + (s_noise · z) · σ̂
        if (DrawsNoise)
        {
            var z = noise.Next(sample.Length);
            TensorPrimitives.Multiply(z, (float)config.SNoise, z);
            TensorPrimitives.Multiply(z, NoiseScale(step), z);
            TensorPrimitives.Add(denoised, z, denoised);
        }

        denoised.CopyTo(sample);
    }
}
