using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Svd;

/// <summary>convert with the SVD engine on a model folder the test lays out from the tiny fixtures.</summary>
public sealed class SvdConvertTests
{
    public static TheoryData<string> Sets => FixtureSets.All;

    [Theory]
    [MemberData(nameof(Sets))]
    public async Task Convert_with_engine_svd_writes_the_requested_frames(string set)
    {
        using var folder = new TempFolder();
        TinyModelFolder.Create(set, folder["models/tiny-svd"]);
        var photo = folder.Write("p.jpg", TestPhotos.Scene(160, 120));
        var config = folder.Write("c.ini", $"[StoreOptions]\nModelsHome={folder["models"]}\n[ModelOptions]\nModelName=tiny-svd\nImagePromptWidth=64\nImagePromptHeight=64\nInferenceSteps=2\nDevice=cpu\n");
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await TurnLivePhotos.Commands.Cli.RunAsync(
            ["convert", photo, "-o", folder["out"], "--engine", "svd", "--frames", "3", "--seed", "1", "--config", config], output, error);

        Assert.True(exit == 0, error.ToString());
        Assert.Contains("Engine: svd", output.ToString(), StringComparison.Ordinal);
        var gif = GifInfo.Read(await File.ReadAllBytesAsync(folder["out/p.gif"]));
        Assert.Equal(3, gif.Frames);
        Assert.True(gif.Width > gif.Height, "a landscape photo gives a landscape video");
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public async Task Auto_chooses_svd_when_the_model_folder_is_complete(string set)
    {
        using var folder = new TempFolder();
        TinyModelFolder.Create(set, folder["models/tiny-svd"]);
        var photo = folder.Write("p.jpg", TestPhotos.Scene(96, 96));
        var config = folder.Write("c.ini", $"[StoreOptions]\nModelsHome={folder["models"]}\n[ModelOptions]\nModelName=tiny-svd\nImagePromptWidth=64\nImagePromptHeight=64\nInferenceSteps=1\nOutputFrames=2\n");
        using var output = new StringWriter();

        var exit = await TurnLivePhotos.Commands.Cli.RunAsync(["convert", photo, "-o", folder["out"], "--config", config], output, TextWriter.Null);

        Assert.Equal(0, exit);
        Assert.Contains(output.ToString().Split('\n'), line => line.StartsWith("Engine: svd", StringComparison.Ordinal) && line.Contains("model folder found", StringComparison.Ordinal));
        Assert.Contains("(svd, 2 frames", output.ToString(), StringComparison.Ordinal);
    }
}
