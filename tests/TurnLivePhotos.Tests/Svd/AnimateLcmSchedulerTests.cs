using System.Globalization;
using System.Text.Json;
using TurnLivePhotos.Engine.Onnx;
using TurnLivePhotos.Engine.Svd;
using TurnLivePhotos.Engine.Weights;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Svd;

/// <summary>The AnimateLCM sampler against the tables and dummy loops recorded with the authors' own scheduler.</summary>
public sealed class AnimateLcmSchedulerTests
{
    public static TheoryData<string> Sets => FixtureSets.AnimateLcm;

    [Theory]
    [MemberData(nameof(Sets))]
    public void Every_recorded_schedule_and_its_per_step_scalings_are_reproduced(string set)
    {
        using var fixture = ReadFixture(set);
        using var io = Checkpoint.Open(Path.Combine(FixtureSets.Folder(set, "scheduler"), "io.safetensors"));
        var schedules = fixture.RootElement.GetProperty("schedules").EnumerateObject().ToList();
        Assert.NotEmpty(schedules);

        foreach (var schedule in schedules)
        {
            var what = $"N={schedule.Name}";
            var scheduler = Scheduler(set);
            scheduler.SetTimesteps(int.Parse(schedule.Name, CultureInfo.InvariantCulture));
            var recorded = schedule.Value;

            AssertRelative(Doubles(recorded.GetProperty("sigmas_float32")), scheduler.Sigmas, 1e-6, $"{what} sigmas");
            AssertRelative(FixtureSets.Read(io, $"N{schedule.Name}.sigmas").Data.Select(v => (double)v).ToArray(), scheduler.Sigmas, 1e-6, $"{what} sigmas (io)");
            AssertRelative(Doubles(recorded.GetProperty("timesteps_float64")), scheduler.Timesteps, 1e-6, $"{what} timesteps");
            AssertRelative([recorded.GetProperty("init_noise_sigma_float64").GetDouble()], [scheduler.InitNoiseSigma], 1e-6, $"{what} init_noise_sigma");

            var steps = recorded.GetProperty("per_step").EnumerateArray().ToList();
            Assert.Equal(steps.Count, scheduler.StepCount);
            foreach (var step in steps)
            {
                var i = step.GetProperty("step_index").GetInt32();
                var (cSkip, cOut) = scheduler.Scalings(i);
                AssertRelative([step.GetProperty("c_skip").GetDouble()], [cSkip], 1e-6, $"{what} step {i} c_skip");
                AssertRelative([step.GetProperty("c_out").GetDouble()], [cOut], 1e-6, $"{what} step {i} c_out");
                AssertRelative([step.GetProperty("scale_model_input_divisor").GetDouble()], [scheduler.InputDivisor(i)], 1e-6, $"{what} step {i} input divisor");
                AssertRelative([step.GetProperty("sigma_hat").GetDouble()], [scheduler.NoiseScale(i)], 1e-6, $"{what} step {i} sigma_hat");
                Assert.Equal(step.GetProperty("noise_drawn").GetBoolean(), scheduler.DrawsNoise);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void Every_dummy_loop_is_reproduced_replaying_the_recorded_step_noise(string set)
    {
        using var fixture = ReadFixture(set);
        using var io = Checkpoint.Open(Path.Combine(FixtureSets.Folder(set, "scheduler"), "io.safetensors"));
        var loops = fixture.RootElement.GetProperty("dummy_loop").EnumerateObject().ToList();
        Assert.NotEmpty(loops);

        foreach (var loop in loops)
        {
            var prefix = $"N{loop.Name}.loop";
            var scheduler = Scheduler(set);
            scheduler.SetTimesteps(int.Parse(loop.Name, CultureInfo.InvariantCulture));
            var recordedSteps = loop.Value.GetProperty("steps").EnumerateArray().ToList();
            var drawn = recordedSteps.Where(s => s.GetProperty("noise_drawn").GetBoolean()).Select(s => FixtureSets.Read(io, $"{prefix}.step.{s.GetProperty("i").GetInt32()}.noise"));
            var noise = new RecordedNoise(drawn.ToList());

            var sample = FixtureSets.Read(io, $"{prefix}.initial_noise").Data.ToArray();
            System.Numerics.Tensors.TensorPrimitives.Multiply(sample, scheduler.InitNoiseSigma, sample);
            var shape = io[$"{prefix}.initial_noise"].Shape;
            FixtureSets.AssertClose(FixtureSets.Read(io, $"{prefix}.initial_sample"), new FloatTensor(sample.ToArray(), shape), 1e-4, $"{prefix} initial sample");

            Assert.Equal(recordedSteps.Count, scheduler.StepCount);
            foreach (var step in recordedSteps)
            {
                var i = step.GetProperty("i").GetInt32();
                AssertRelative([step.GetProperty("timestep").GetDouble()], [scheduler.Timesteps[i]], 1e-6, $"{prefix} step {i} timestep");
                var scaled = new float[sample.Length];
                scheduler.ScaleModelInput(sample, i, scaled);
                FixtureSets.AssertClose(FixtureSets.Read(io, $"{prefix}.step.{i}.scaled_model_input"), new FloatTensor(scaled, shape), 1e-4, $"{prefix} step {i} scaled input");

                scheduler.Step(FixtureSets.Read(io, $"{prefix}.step.{i}.model_output").Data, i, sample, noise);
                FixtureSets.AssertClose(FixtureSets.Read(io, $"{prefix}.step.{i}.prev_sample"), new FloatTensor(sample.ToArray(), shape), 1e-4, $"{prefix} step {i} sample");
            }

            Assert.Equal(0, noise.Remaining);
        }
    }

    [Fact]
    public void More_steps_than_the_training_schedule_are_refused_with_the_limit_named()
    {
        var scheduler = new AnimateLcmScheduler(new AnimateLcmSchedulerConfig());
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.SetTimesteps(41));
        Assert.Contains("1 to 40 steps", error.Message, StringComparison.Ordinal);
        scheduler.SetTimesteps(40);
        Assert.Equal(40, scheduler.StepCount);
    }

    private static AnimateLcmScheduler Scheduler(string set) =>
        new(AnimateLcmSchedulerConfig.Load(Path.Combine(FixtureSets.Folder(set, "scheduler"), "scheduler_config.json")));

    private static JsonDocument ReadFixture(string set) =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(FixtureSets.Folder(set, "scheduler"), "scheduler_fixture.json")));

    private static double[] Doubles(JsonElement array) => array.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    private static void AssertRelative(double[] expected, float[] actual, double tolerance, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} values, expected {expected.Length}");
        for (var i = 0; i < expected.Length; i++)
        {
            var error = Math.Abs(actual[i] - expected[i]) / Math.Max(Math.Abs(expected[i]), 1e-30);
            Assert.True(error <= tolerance || actual[i] == expected[i], $"{what}[{i}]: {actual[i]} vs {expected[i]} (relative {error:E2})");
        }
    }
}
