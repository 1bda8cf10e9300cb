using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Core.Parameters;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Engine.Svd;
using TurnLivePhotos.Server.Web;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Server;

/// <summary>The quality and sampler form fields of both upload paths, and what /api/v1/engine says about them.</summary>
public sealed class QualityFormTests
{
    private static readonly byte[] Photo = TestPhotos.Scene(160, 120);

    [Fact]
    public void A_quality_in_the_form_applies_its_preset_under_the_form_fields_and_the_keys_the_settings_set()
    {
        using var folder = new TempFolder();
        var model = SettingsLoader.Load(folder.Write("c.ini", "[ModelOptions]\nUNetWeights=AnimateLCM-SVD-xt.safetensors\nImagePromptWidth=64\nNoiseAugStrength=0.1\n")).Model;

        var fast = GenerationForm.ReadParameters(Form(("quality", "FAST")), model);
        var fastWithFrames = GenerationForm.ReadParameters(Form(("quality", "fast"), ("frames", "9"), ("motion_bucket_id", "200")), model);
        var best = GenerationForm.ReadParameters(Form(("quality", "best")), model);

        Assert.Equal((Sampler.AnimateLcm, 4, 14, 8, 80, 1.2), (fast.Sampler, fast.InferenceSteps, fast.Frames, fast.Fps, fast.MotionBucketId, fast.MaxGuidanceScale));
        Assert.Equal((64, 320, 0.1), (fast.TargetWidth, fast.TargetHeight, fast.NoiseAugStrength)); // the settings' key wins over the preset's 512
        Assert.Equal((Sampler.AnimateLcm, 4, 9, 200), (fastWithFrames.Sampler, fastWithFrames.InferenceSteps, fastWithFrames.Frames, fastWithFrames.MotionBucketId));
        Assert.Equal((Sampler.Euler, QualityPresets.BestSteps, 25, 64, 576), (best.Sampler, best.InferenceSteps, best.Frames, best.TargetWidth, best.TargetHeight));
        Assert.Equal(model.Parameters, GenerationForm.ReadParameters(Form(), model));
    }

    [Fact]
    public void A_sampler_named_alone_brings_its_defaults_and_fast_without_few_step_weights_takes_fewer_Euler_steps()
    {
        using var folder = new TempFolder();
        var withWeights = SettingsLoader.Load(folder.Write("c.ini", "[ModelOptions]\nUNetWeights=lcm.safetensors\nOutputFrames=6\n")).Model;
        var without = SettingsLoader.Load(folder.Write("d.ini", "[ModelOptions]\nOutputFrames=6\n")).Model;

        var lcm = GenerationForm.ReadParameters(Form(("sampler", "animatelcm")), withWeights);
        var lcmThenFps = GenerationForm.ReadParameters(Form(("sampler", "animatelcm"), ("fps", "12")), withWeights);
        var fastEuler = GenerationForm.ReadParameters(Form(("quality", "fast")), without);
        var fastForcedEuler = GenerationForm.ReadParameters(Form(("quality", "fast"), ("sampler", "euler")), withWeights);

        Assert.Equal((Sampler.AnimateLcm, 4, 1.0, 1.2, 80, 8, 6, 1024), (lcm.Sampler, lcm.InferenceSteps, lcm.MinGuidanceScale, lcm.MaxGuidanceScale, lcm.MotionBucketId, lcm.Fps, lcm.Frames, lcm.TargetWidth));
        Assert.Equal((Sampler.AnimateLcm, 12), (lcmThenFps.Sampler, lcmThenFps.Fps));
        Assert.Equal((Sampler.Euler, QualityPresets.FastEulerSteps, 6, 512), (fastEuler.Sampler, fastEuler.InferenceSteps, fastEuler.Frames, fastEuler.TargetWidth));
        Assert.Equal((Sampler.Euler, 25, 3.0, 6, 512), (fastForcedEuler.Sampler, fastForcedEuler.InferenceSteps, fastForcedEuler.MaxGuidanceScale, fastForcedEuler.Frames, fastForcedEuler.TargetWidth));
    }

    [Theory]
    [InlineData("quality", "quick", "quality must be one of fast, standard, best, got \"quick\"")]
    [InlineData("quality", "1", "quality must be one of fast, standard, best, got \"1\"")]
    [InlineData("sampler", "lcm", "sampler must be one of euler, animatelcm, got \"lcm\"")]
    [InlineData("sampler", "animatelcm", "sampler animatelcm needs AnimateLCM-SVD-xt's UNet ([ModelOptions] UNetWeights)")]
    public async Task A_bad_value_is_400_naming_the_field_on_both_paths_and_no_job_is_made(string field, string value, string expected)
    {
        await using var server = await RunningServer.StartAsync();

        using var job = await server.Client.PostAsync("api/v1/jobs", RunningServer.Form(Photo, "p.jpg", (field, value)));
        using var generate = await server.GenerateAsync(Photo, "p.jpg", (field, value));

        Assert.Equal(HttpStatusCode.BadRequest, job.StatusCode);
        Assert.Equal("application/problem+json", job.Content.Headers.ContentType?.MediaType);
        var problem = await job.Content.ReadFromJsonAsync<JsonElement>();
        var errors = problem.GetProperty("errors");
        Assert.Equal([field], errors.EnumerateObject().Select(e => e.Name));
        Assert.Contains(expected, errors.GetProperty(field)[0].GetString(), StringComparison.Ordinal);
        await GenerateEndpointTests.AssertMessageAsync(generate, HttpStatusCode.BadRequest, expected);
        var page = await server.Client.GetFromJsonAsync<JsonElement>("api/v1/jobs");
        Assert.Equal(0, page.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Quality_fast_in_a_form_reaches_the_engine_and_explicit_frames_win()
    {
        await using var server = await RunningServer.StartAsync();

        using var fast = await server.GenerateAsync(Photo, "p.jpg", ("quality", "fast"));
        using var fastFive = await server.GenerateAsync(Photo, "p.jpg", ("quality", "fast"), ("frames", "5"));

        Assert.Equal(HttpStatusCode.OK, fast.StatusCode);
        Assert.Equal(14, GifInfo.Read(await fast.Content.ReadAsByteArrayAsync()).Frames);
        Assert.Equal(HttpStatusCode.OK, fastFive.StatusCode);
        Assert.Equal(5, GifInfo.Read(await fastFive.Content.ReadAsByteArrayAsync()).Frames);
    }

    [Fact]
    public async Task The_engine_endpoint_lists_presets_and_samplers_with_animatelcm_usable_only_with_UNet_weights()
    {
        await using var plain = await RunningServer.StartAsync();
        await using var lcm = await RunningServer.StartAsync(s => s with { Model = s.Model with { UNetWeights = Path.Combine(s.Store.ModelsHome, "AnimateLCM-SVD-xt.safetensors") } });

        var without = await plain.Client.GetFromJsonAsync<JsonElement>("api/v1/engine");
        var with = await lcm.Client.GetFromJsonAsync<JsonElement>("api/v1/engine");

        Assert.Equal((false, true), (SamplerOf(without, "animatelcm").GetProperty("usable").GetBoolean(), SamplerOf(without, "euler").GetProperty("usable").GetBoolean()));
        Assert.Contains("UNetWeights", SamplerOf(without, "animatelcm").GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.True(SamplerOf(with, "animatelcm").GetProperty("usable").GetBoolean());
        Assert.False(SamplerOf(with, "animatelcm").TryGetProperty("reason", out var reason) && reason.ValueKind != JsonValueKind.Null, "a usable sampler has no reason against it");
        Assert.Equal(["fast", "standard", "best"], with.GetProperty("qualities").EnumerateArray().Select(q => q.GetProperty("name").GetString()));
        Assert.Equal(("animatelcm", 4, 14, 512), Values(with, "qualities", "fast"));
        Assert.Equal(("euler", QualityPresets.FastEulerSteps, 14, 512), Values(without, "qualities", "fast"));
        Assert.Equal(("euler", QualityPresets.BestSteps, 25, 1024), Values(with, "qualities", "best"));
        Assert.Equal(("animatelcm", 4, 6, 1024), Values(with, "samplers", "animatelcm")); // frames stay the server's 6
        Assert.Equal(80, with.GetProperty("samplers").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "animatelcm").GetProperty("values").GetProperty("motion_bucket_id").GetInt32());
        Assert.Equal(("standard", "euler", 6), (with.GetProperty("quality").GetString(), with.GetProperty("defaults").GetProperty("sampler").GetString(), with.GetProperty("defaults").GetProperty("frames").GetInt32()));
    }

    private static JsonElement SamplerOf(JsonElement info, string name) =>
        info.GetProperty("samplers").EnumerateArray().Single(s => s.GetProperty("name").GetString() == name);

    private static (string?, int, int, int) Values(JsonElement info, string list, string name)
    {
        var values = info.GetProperty(list).EnumerateArray().Single(q => q.GetProperty("name").GetString() == name).GetProperty("values");
        return (values.GetProperty("sampler").GetString(), values.GetProperty("inference_steps").GetInt32(), values.GetProperty("frames").GetInt32(), values.GetProperty("width").GetInt32());
    }

    private static FormCollection Form(params (string Name, string Value)[] fields) =>
        new(fields.ToDictionary(f => f.Name, f => new StringValues(f.Value)));
}
