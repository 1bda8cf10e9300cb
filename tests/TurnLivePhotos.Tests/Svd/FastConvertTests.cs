using TurnLivePhotos.Core.Parameters;
using TurnLivePhotos.Engine.Svd;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Svd;

/// <summary>convert --quality fast through the real command-line program, on the tiny model plus a separate AnimateLCM-style UNet file.</summary>
public sealed class FastConvertTests
{
    public static TheoryData<string> Sets => FixtureSets.All;

    [Theory]
    [MemberData(nameof(Sets))]
    public async Task Quality_fast_runs_the_few_step_sampler_on_the_replacement_UNet(string set)
    {
        using var folder = new TempFolder();
        var model = TinyModelFolder.Create(set, folder["models/tiny-svd"]);
        var lcm = HalfPrecision.Convert(SvdModelFolder.Open(model).Unet.Weights, folder["models/AnimateLCM-SVD-xt.safetensors"]);
        var photo = folder.Write("photos/p.jpg", TestPhotos.Scene(160, 120));
        // The tiny networks need a tiny size: the preset's 512x320 is overridden, the rest (sampler, steps, guidance) is the preset's.
        var config = folder.Write("c.ini", $"[StoreOptions]\nModelsHome={folder["models"]}\n[ModelOptions]\nModelName=tiny-svd\nUNetWeights={lcm}\nImagePromptWidth=64\nImagePromptHeight=64\nOutputFrames=3\nDevice=cpu\n");

        var (exit, output, errors) = await CliProcess.RunAsync(folder.Path, null,
            "convert", folder["photos"], "-o", folder["out"], "--quality", "fast", "--seed", "3", "--format", "gif", "--config", config, "--logging-level", "DEBUG");

        Assert.True(exit == 0, string.Join('\n', errors.Concat(output)));
        var log = string.Join('\n', output.Concat(errors));
        Assert.Contains("3 frames, 4 AnimateLcm steps, seed 3", log, StringComparison.Ordinal);
        Assert.Contains(output, line => line.StartsWith("p.jpg -> ", StringComparison.Ordinal) && line.Contains("(svd, 3 frames", StringComparison.Ordinal));
        Assert.Equal(3, GifInfo.Read(await File.ReadAllBytesAsync(folder["out/p.gif"])).Frames);
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public async Task A_UNet_file_of_another_shape_is_one_error_line_and_exit_code_1(string set)
    {
        using var folder = new TempFolder();
        TinyModelFolder.Create(set, folder["models/tiny-svd"]);
        var wrong = folder["models/wrong.safetensors"];
        TurnLivePhotos.Engine.Weights.SafetensorsWriter.Write(wrong, [TurnLivePhotos.Engine.Weights.SafetensorsWriter.Float32("conv_in.weight", [1f, 2f], 2)]);
        var photo = folder.Write("p.jpg", TestPhotos.Scene(96, 96));
        var config = folder.Write("c.ini", $"[StoreOptions]\nModelsHome={folder["models"]}\n[ModelOptions]\nModelName=tiny-svd\nUNetWeights={wrong}\nImagePromptWidth=64\nImagePromptHeight=64\nDevice=cpu\n");

        var (exit, _, errors) = await CliProcess.RunAsync(folder.Path, null, "convert", photo, "-o", folder["out"], "--quality", "fast", "--format", "gif", "--config", config);

        Assert.Equal(1, exit);
        var line = Assert.Single(errors, e => e.StartsWith("error: ", StringComparison.Ordinal));
        Assert.Contains("wrong.safetensors do not fit the UNet", line, StringComparison.Ordinal);
        Assert.Contains("with another shape (first: conv_in.weight", line, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public async Task The_few_step_sampler_without_its_UNet_is_one_error_line_and_no_output(string set)
    {
        using var folder = new TempFolder();
        TinyModelFolder.Create(set, folder["models/tiny-svd"]);
        var photo = folder.Write("p.jpg", TestPhotos.Scene(96, 96));
        var config = folder.Write("c.ini", $"[StoreOptions]\nModelsHome={folder["models"]}\n[ModelOptions]\nModelName=tiny-svd\nImagePromptWidth=64\nImagePromptHeight=64\nDevice=cpu\n");

        var (exit, _, errors) = await CliProcess.RunAsync(folder.Path, null, "convert", photo, "-o", folder["out"], "--sampler", "animatelcm", "--format", "gif", "--config", config);

        Assert.Equal(1, exit);
        var line = Assert.Single(errors, e => e.StartsWith("error: ", StringComparison.Ordinal));
        Assert.Contains(SamplerDefaults.FewStepWeightsMissing, line, StringComparison.Ordinal);
        Assert.False(Directory.Exists(folder["out"]) && Directory.EnumerateFiles(folder["out"]).Any(), "a file was written");
    }
}
