using System.Numerics.Tensors;
using System.Text.Json;

namespace TurnLivePhotos.Engine.Svd;

/// <summary>The keys of diffusers' <c>scheduler_config.json</c> that EulerDiscreteScheduler uses.</summary>
public sealed record EulerSchedulerConfig
{
    public int NumTrainTimesteps { get; init; } = 1000;

    public double BetaStart { get; init; } = 0.00085;

    public double BetaEnd { get; init; } = 0.012;

    public string BetaSchedule { get; init; } = "scaled_linear";

    public string PredictionType { get; init; } = "v_prediction";

    public bool UseKarrasSigmas { get; init; } = true;

    public double? SigmaMin { get; init; } = 0.002;

    public double? SigmaMax { get; init; } = 700.0;

    public string TimestepSpacing { get; init; } = "leading";

    public string TimestepType { get; init; } = "continuous";

    public int StepsOffset { get; init; } = 1;

    public static EulerSchedulerConfig Load(string path) => Parse(File.ReadAllText(path));

    /// <summary>scheduler_config.json's text.</summary>
    public static EulerSchedulerConfig Parse(string text)
    {
        using var json = JsonDocument.Parse(text);
        var root = json.RootElement;
        var defaults = new EulerSchedulerConfig();
        double? Number(string key, double? fallback) =>
            root.TryGetProperty(key, out var v) ? (v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null) : fallback;
        string Text(string key, string fallback) =>
            root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : fallback;
        return new EulerSchedulerConfig
        {
            NumTrainTimesteps = (int)(Number("num_train_timesteps", defaults.NumTrainTimesteps) ?? defaults.NumTrainTimesteps),
            BetaStart = Number("beta_start", defaults.BetaStart) ?? defaults.BetaStart,
            BetaEnd = Number("beta_end", defaults.BetaEnd) ?? defaults.BetaEnd,
            BetaSchedule = Text("beta_schedule", defaults.BetaSchedule),
            PredictionType = Text("prediction_type", defaults.PredictionType),
            UseKarrasSigmas = root.TryGetProperty("use_karras_sigmas", out var karras) ? karras.ValueKind == JsonValueKind.True : defaults.UseKarrasSigmas,
            SigmaMin = Number("sigma_min", defaults.SigmaMin),
            SigmaMax = Number("sigma_max", defaults.SigmaMax),
            TimestepSpacing = Text("timestep_spacing", defaults.TimestepSpacing),
            TimestepType = Text("timestep_type", defaults.TimestepType),
            StepsOffset = (int)(Number("steps_offset", defaults.StepsOffset) ?? defaults.StepsOffset),
        };
    }
}

/// <summary>
/// diffusers' EulerDiscreteScheduler as SVD configures it (Karras sigmas, v-prediction, continuous timesteps
/// 0.25·ln σ, s_churn = 0), over plain float arrays. Float32 where diffusers computes in float32 (torch tensors),
/// float64 where it uses numpy, so the schedule matches the reference to the last bit or so.
/// </summary>
public sealed class EulerDiscreteScheduler : IDenoisingScheduler
{
    private const double KarrasRho = 7.0;

    private readonly EulerSchedulerConfig config;
    private readonly float[] trainingSigmas;

    public EulerDiscreteScheduler(EulerSchedulerConfig config)
    {
        this.config = config;
        if (config.BetaSchedule != "scaled_linear" && config.BetaSchedule != "linear")
        {
            throw new NotSupportedException($"beta_schedule '{config.BetaSchedule}' is not supported");
        }

        if (config.PredictionType is not ("v_prediction" or "epsilon"))
        {
            throw new NotSupportedException($"prediction_type '{config.PredictionType}' is not supported");
        }

        trainingSigmas = TrainingSigmas(config);
    }

    /// <summary>σ for each step plus a final 0 (N + 1 values).</summary>
    public float[] Sigmas { get; private set; } = [];

    /// <summary>The model's timestep input for each step (N values).</summary>
    public float[] Timesteps { get; private set; } = [];

    public float InitNoiseSigma { get; private set; } = 1;

    public int StepCount => Timesteps.Length;

    public void SetTimesteps(int steps)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps);
        var spaced = SpacedTimesteps(steps);
        var sigmas = spaced.Select(t => Interpolate(t, trainingSigmas)).ToArray();
        if (config.UseKarrasSigmas)
        {
            sigmas = KarrasSigmas(config.SigmaMin ?? sigmas[^1], config.SigmaMax ?? sigmas[0], steps);
        }

        Sigmas = [.. sigmas.Select(s => (float)s), 0f];
        Timesteps = config.TimestepType == "continuous" && config.PredictionType == "v_prediction"
            ? Sigmas[..^1].Select(s => 0.25f * MathF.Log(s)).ToArray()
            : spaced.Select(t => (float)t).ToArray();

        var maxSigma = Sigmas.Max();
        InitNoiseSigma = config.TimestepSpacing is "linspace" or "trailing" ? maxSigma : MathF.Sqrt((maxSigma * maxSigma) + 1f);
    }

    /// <summary>sample / sqrt(σ² + 1), into <paramref name="destination"/> (may be the same span).</summary>
    public void ScaleModelInput(ReadOnlySpan<float> sample, int step, Span<float> destination)
    {
        var sigma = Sigmas[step];
        TensorPrimitives.Divide(sample, MathF.Sqrt((sigma * sigma) + 1f), destination);
    }

    /// <summary>
    /// The Euler step draws nothing: with s_churn = 0 diffusers' draw is never used (and the SVD pipeline makes it
    /// from torch's global generator, not the run's), so the run's noise stream is left as it is.
    /// </summary>
    public void Step(ReadOnlySpan<float> modelOutput, int step, Span<float> sample, INoiseSource noise) => Step(modelOutput, step, sample);

    /// <summary>One Euler step from σ_step to σ_step+1, updating <paramref name="sample"/> in place.</summary>
    public void Step(ReadOnlySpan<float> modelOutput, int step, Span<float> sample)
    {
        var sigma = Sigmas[step];
        var sigmaNext = Sigmas[step + 1];
        var denoised = new float[sample.Length];
        if (config.PredictionType == "v_prediction")
        {
            // pred_x0 = v * (-σ / sqrt(σ² + 1)) + sample / (σ² + 1)
            var scale = -sigma / MathF.Sqrt((sigma * sigma) + 1f);
            var skip = new float[sample.Length];
            TensorPrimitives.Multiply(modelOutput, scale, denoised);
            TensorPrimitives.Divide(sample, (sigma * sigma) + 1f, skip);
            TensorPrimitives.Add(denoised, skip, denoised);
        }
        else
        {
            // pred_x0 = sample - σ · ε
            TensorPrimitives.Multiply(modelOutput, sigma, denoised);
            TensorPrimitives.Subtract(sample, denoised, denoised);
        }

        // derivative = (sample - pred_x0) / σ; sample += derivative · (σ_next - σ), as separate float32 operations.
        var derivative = denoised;
        TensorPrimitives.Subtract(sample, denoised, derivative);
        TensorPrimitives.Divide(derivative, sigma, derivative);
        TensorPrimitives.Multiply(derivative, sigmaNext - sigma, derivative);
        TensorPrimitives.Add(sample, derivative, sample);
    }

    private static float[] TrainingSigmas(EulerSchedulerConfig config)
    {
        var n = config.NumTrainTimesteps;
        var alphasCumprod = new float[n];
        var product = 1f;
        for (var i = 0; i < n; i++)
        {
            var t = n == 1 ? 0 : (double)i / (n - 1);
            var beta = config.BetaSchedule == "scaled_linear"
                ? (float)Math.Pow(Math.Sqrt(config.BetaStart) + (t * (Math.Sqrt(config.BetaEnd) - Math.Sqrt(config.BetaStart))), 2)
                : (float)(config.BetaStart + (t * (config.BetaEnd - config.BetaStart)));
            product *= 1f - beta;
            alphasCumprod[i] = product;
        }

        return alphasCumprod.Select(a => MathF.Sqrt((1f - a) / a)).ToArray();
    }

    private double[] SpacedTimesteps(int steps)
    {
        var n = config.NumTrainTimesteps;
        return config.TimestepSpacing switch
        {
            "linspace" => Enumerable.Range(0, steps).Select(i => steps == 1 ? n - 1.0 : (n - 1.0) * (steps - 1 - i) / (steps - 1)).ToArray(),
            "trailing" => Enumerable.Range(0, steps).Select(i => Math.Round(n - (i * (double)n / steps)) - 1).ToArray(),
            _ => Enumerable.Range(0, steps).Select(i => Math.Round((double)(steps - 1 - i) * (n / steps)) + config.StepsOffset).ToArray(),
        };
    }

    private static double Interpolate(double t, float[] table)
    {
        if (t <= 0)
        {
            return table[0];
        }

        if (t >= table.Length - 1)
        {
            return table[^1];
        }

        var low = (int)Math.Floor(t);
        var fraction = t - low;
        return table[low] + (fraction * (table[low + 1] - table[low]));
    }

    private static double[] KarrasSigmas(double sigmaMin, double sigmaMax, int steps)
    {
        var minInvRho = Math.Pow(sigmaMin, 1 / KarrasRho);
        var maxInvRho = Math.Pow(sigmaMax, 1 / KarrasRho);
        return Enumerable.Range(0, steps)
            .Select(i => steps == 1 ? 0.0 : (double)i / (steps - 1))
            .Select(ramp => Math.Pow(maxInvRho + (ramp * (minInvRho - maxInvRho)), KarrasRho))
            .ToArray();
    }
}
