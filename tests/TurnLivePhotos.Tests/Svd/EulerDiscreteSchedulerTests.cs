using System.Text.Json;
using TurnLivePhotos.Engine.Svd;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Svd;

/// <summary>The scheduler against the schedules and the dummy loop recorded by diffusers (read from the fixture).</summary>
public sealed class EulerDiscreteSchedulerTests
{
    public static TheoryData<string> Sets => FixtureSets.All;

    [Theory]
    [MemberData(nameof(Sets))]
    public void Every_recorded_schedule_is_reproduced(string set)
    {
        using var fixture = ReadFixture(set);
        var schedules = fixture.RootElement.GetProperty("schedules");
        Assert.NotEmpty(schedules.EnumerateObject());

        foreach (var schedule in schedules.EnumerateObject())
        {
            var scheduler = Scheduler(set);
            scheduler.SetTimesteps(int.Parse(schedule.Name, System.Globalization.CultureInfo.InvariantCulture));

            AssertRelative(Floats(schedule.Value.GetProperty("sigmas")), scheduler.Sigmas, 1e-6, $"N={schedule.Name} sigmas");
            AssertRelative(Floats(schedule.Value.GetProperty("timesteps")), scheduler.Timesteps, 1e-6, $"N={schedule.Name} timesteps");
            AssertRelative([(float)schedule.Value.GetProperty("init_noise_sigma").GetDouble()], [scheduler.InitNoiseSigma], 1e-6, $"N={schedule.Name} init_noise_sigma");
        }
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void The_dummy_loop_reproduces_every_recorded_sample(string set)
    {
        using var fixture = ReadFixture(set);
        var loop = fixture.RootElement.GetProperty("dummy_loop");
        var scheduler = Scheduler(set);
        scheduler.SetTimesteps(loop.GetProperty("num_inference_steps").GetInt32());
        var sample = Floats(loop.GetProperty("initial_noise"));
        System.Numerics.Tensors.TensorPrimitives.Multiply(sample, scheduler.InitNoiseSigma, sample);
        AssertRelative(Floats(loop.GetProperty("initial_sample")), sample, 1e-6, "initial sample");

        foreach (var recorded in loop.GetProperty("steps").EnumerateArray())
        {
            var i = recorded.GetProperty("index").GetInt32();
            var t = scheduler.Timesteps[i];
            var scaled = new float[sample.Length];
            scheduler.ScaleModelInput(sample, i, scaled);
            AssertRelative(Floats(recorded.GetProperty("scaled_model_input")), scaled, 1e-6, $"step {i} scaled input");

            var output = new float[sample.Length];
            System.Numerics.Tensors.TensorPrimitives.Multiply(scaled, 0.1f * (t / (MathF.Abs(t) + 1)), output);
            scheduler.Step(output, i, sample);
            AssertRelative(Floats(recorded.GetProperty("prev_sample")), sample, 1e-5, $"step {i} sample");
        }

        AssertRelative(Floats(loop.GetProperty("final_sample")), sample, 1e-5, "final sample");
    }

    private static EulerDiscreteScheduler Scheduler(string set) =>
        new(EulerSchedulerConfig.Load(Path.Combine(FixtureSets.Folder(set, "scheduler"), "scheduler_config.json")));

    private static JsonDocument ReadFixture(string set) =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(FixtureSets.Folder(set, "scheduler"), "scheduler_fixture.json")));

    private static float[] Floats(JsonElement array) => array.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();

    private static void AssertRelative(float[] expected, float[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            var error = Math.Abs(actual[i] - expected[i]) / Math.Max(Math.Abs(expected[i]), 1e-30);
            Assert.True(error <= tolerance || actual[i] == expected[i], $"{what}[{i}]: {actual[i]} vs {expected[i]} (relative {error:E2})");
        }
    }
}
