using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Core.Parameters;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Engine.Svd;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Configuration;

/// <summary>[ModelOptions] Quality, Sampler and UNetWeights: presets and sampler defaults decide only what no key sets.</summary>
public sealed class QualitySettingsTests
{
    [Fact]
    public void Fast_with_few_step_weights_is_the_AnimateLCM_bundle_and_explicit_keys_win()
    {
        using var folder = new TempFolder();
        var path = folder.Write("c.ini", "[ModelOptions]\nQuality=fast\nUNetWeights=lcm/AnimateLCM-SVD-xt.safetensors\nOutputFrames=20\n");

        var model = SettingsLoader.Load(path).Model;

        Assert.Equal((Quality.Fast, Sampler.AnimateLcm), (model.Quality, model.Parameters.Sampler));
        Assert.Equal((4, 1.0, 1.2, 80, 8), (model.Parameters.InferenceSteps, model.Parameters.MinGuidanceScale, model.Parameters.MaxGuidanceScale, model.Parameters.MotionBucketId, model.Parameters.Fps));
        Assert.Equal((512, 320), (model.Parameters.TargetWidth, model.Parameters.TargetHeight));
        Assert.Equal(20, model.Parameters.Frames);
        Assert.Equal(Path.Combine(folder.Path, "lcm", "AnimateLCM-SVD-xt.safetensors"), model.UNetWeights);
        Assert.Equal(Sampler.AnimateLcm, model.Parameters.Sampler);
    }

    [Fact]
    public void Fast_without_few_step_weights_takes_fewer_Euler_steps_and_the_command_line_wins_over_the_file()
    {
        using var folder = new TempFolder();
        var path = folder.Write("c.ini", "[ModelOptions]\nQuality=best\nInferenceSteps=30\n");

        var fromFile = SettingsLoader.Load(path).Model;
        var fast = SettingsLoader.Load(path, new Dictionary<string, string?> { ["ModelOptions:Quality"] = "fast" }).Model;

        Assert.Equal((Sampler.Euler, 30, 1024), (fromFile.Parameters.Sampler, fromFile.Parameters.InferenceSteps, fromFile.Parameters.TargetWidth));
        Assert.Equal((Sampler.Euler, 14, 512), (fast.Parameters.Sampler, fast.Parameters.Frames, fast.Parameters.TargetWidth));
        Assert.Equal(30, fast.Parameters.InferenceSteps);
        var fastAlone = SettingsLoader.Load(folder.Write("d.ini", "[ModelOptions]\nQuality=fast\n")).Model;
        Assert.Equal(QualityPresets.FastEulerSteps, fastAlone.Parameters.InferenceSteps);
    }

    [Fact]
    public void A_sampler_named_alone_brings_its_defaults_under_explicit_keys()
    {
        using var folder = new TempFolder();
        var path = folder.Write("c.ini", "[ModelOptions]\nSampler=animatelcm\nInferenceSteps=6\n");

        var model = SettingsLoader.Load(path).Model;

        Assert.Equal((Sampler.AnimateLcm, 6, 1.2, 80, 8, 25), (model.Parameters.Sampler, model.Parameters.InferenceSteps, model.Parameters.MaxGuidanceScale, model.Parameters.MotionBucketId, model.Parameters.Fps, model.Parameters.Frames));
        Assert.Equal((Quality.Standard, Sampler.Euler, 25, 3.0), (new ModelSettings().Quality, SettingsLoader.Load(folder.Write("e.ini", "[ModelOptions]\n")).Model.Parameters.Sampler, new ModelSettings().Parameters.InferenceSteps, new ModelSettings().Parameters.MaxGuidanceScale));
    }

    [Theory]
    [InlineData("Quality", "quick", "fast, standard, best")]
    [InlineData("Sampler", "lcm", "euler, animatelcm")]
    public void A_bad_value_is_one_line_naming_section_key_value_and_choices(string key, string value, string choices)
    {
        using var folder = new TempFolder();
        var path = folder.Write("c.ini", $"[ModelOptions]\n{key}={value}\n");

        var error = Assert.Throws<SettingsException>(() => SettingsLoader.Load(path));

        Assert.Contains($"[ModelOptions] {key} = \"{value}\"", error.Message, StringComparison.Ordinal);
        Assert.Contains(choices, error.Message, StringComparison.Ordinal);
        Assert.Contains("c.ini", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Settings_prints_the_preset_the_sampler_the_weights_and_what_each_preset_stands_for()
    {
        using var folder = new TempFolder();
        var path = folder.Write("c.ini", "[ModelOptions]\nQuality=fast\nUNetWeights=/models/AnimateLCM-SVD-xt.safetensors\n");
        using var output = new StringWriter();

        var exit = await TurnLivePhotos.Commands.Cli.RunAsync(["settings", "--config", path], output, TextWriter.Null);

        Assert.Equal(0, exit);
        var lines = output.ToString().Split(Environment.NewLine);
        Assert.Contains("Quality=fast", lines);
        Assert.Contains("Sampler=animatelcm", lines);
        Assert.Contains("InferenceSteps=4", lines);
        Assert.Contains("OutputFrames=14", lines);
        Assert.Contains("UNetWeights=/models/AnimateLCM-SVD-xt.safetensors", lines);
        foreach (var quality in new[] { "fast", "standard", "best" })
        {
            Assert.Contains(lines, line => line.StartsWith($"# Quality={quality}: ", StringComparison.Ordinal) && line.Contains("InferenceSteps=", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void The_settings_record_which_keys_were_set_and_a_form_preset_keeps_them()
    {
        using var folder = new TempFolder();
        var model = SettingsLoader.Load(folder.Write("c.ini", "[ModelOptions]\nQuality=best\nOutputFrames=20\nSeed=7\n")).Model;

        Assert.Equal(new ParameterChoices { Quality = Quality.Best, Frames = 20, Seed = 7 }, model.Choices);
        Assert.Equal((Quality.Best, 20, QualityPresets.BestSteps), (model.Quality, model.Parameters.Frames, model.Parameters.InferenceSteps));
        var fast = model.ParametersFor(new ParameterChoices { Quality = Quality.Fast });
        Assert.Equal((20, QualityPresets.FastEulerSteps, 512), (fast.Frames, fast.InferenceSteps, fast.TargetWidth));
    }
}
