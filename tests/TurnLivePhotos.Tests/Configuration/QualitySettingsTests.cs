using TurnLivePhotos.Core.Configuration;
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

        Assert.Equal((Quality.Fast, Sampler.AnimateLcm), (model.Quality, model.Sampler));
        Assert.Equal((4, 1.0, 1.2, 80, 8), (model.InferenceSteps, model.MinGuidanceScale, model.MaxGuidanceScale, model.MotionBucketId, model.OutputFps));
        Assert.Equal((512, 320), (model.ImagePromptWidth, model.ImagePromptHeight));
        Assert.Equal(20, model.OutputFrames);
        Assert.Equal(Path.Combine(folder.Path, "lcm", "AnimateLCM-SVD-xt.safetensors"), model.UNetWeights);
        Assert.Equal(Sampler.AnimateLcm, model.DefaultParameters.Sampler);
    }

    [Fact]
    public void Fast_without_few_step_weights_takes_fewer_Euler_steps_and_the_command_line_wins_over_the_file()
    {
        using var folder = new TempFolder();
        var path = folder.Write("c.ini", "[ModelOptions]\nQuality=best\nInferenceSteps=30\n");

        var fromFile = SettingsLoader.Load(path).Model;
        var fast = SettingsLoader.Load(path, new Dictionary<string, string?> { ["ModelOptions:Quality"] = "fast" }).Model;

        Assert.Equal((Sampler.Euler, 30, 1024), (fromFile.Sampler, fromFile.InferenceSteps, fromFile.ImagePromptWidth));
        Assert.Equal((Sampler.Euler, 14, 512), (fast.Sampler, fast.OutputFrames, fast.ImagePromptWidth));
        Assert.Equal(30, fast.InferenceSteps);
        var fastAlone = SettingsLoader.Load(folder.Write("d.ini", "[ModelOptions]\nQuality=fast\n")).Model;
        Assert.Equal(QualityPresets.FastEulerSteps, fastAlone.InferenceSteps);
    }

    [Fact]
    public void A_sampler_named_alone_brings_its_defaults_under_explicit_keys()
    {
        using var folder = new TempFolder();
        var path = folder.Write("c.ini", "[ModelOptions]\nSampler=animatelcm\nInferenceSteps=6\n");

        var model = SettingsLoader.Load(path).Model;

        Assert.Equal((Sampler.AnimateLcm, 6, 1.2, 80, 8, 25), (model.Sampler, model.InferenceSteps, model.MaxGuidanceScale, model.MotionBucketId, model.OutputFps, model.OutputFrames));
        Assert.Equal((Quality.Standard, Sampler.Euler, 25, 3.0), (new ModelSettings().Quality, SettingsLoader.Load(folder.Write("e.ini", "[ModelOptions]\n")).Model.Sampler, new ModelSettings().InferenceSteps, new ModelSettings().MaxGuidanceScale));
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
}
