using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Cli;

/// <summary>The RIFE model in the real program: <c>model status</c> says whether it is there; <c>--interpolate</c> takes only its three values.</summary>
public sealed class InterpolateOptionTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Model_status_says_whether_the_rife_model_is_at_its_path(bool present)
    {
        using var folder = new TempFolder();
        var model = folder["models/rife/flownet.pkl"];
        if (present)
        {
            folder.Write("models/rife/flownet.pkl", [0x50, 0x4b]);
        }

        var config = folder.Write("c.ini", "[StoreOptions]\nModelsHome=models\n");
        var (exit, output, _) = await CliProcess.RunAsync(folder.Path, null, "model", "status", "--config", config);

        Assert.Equal(0, exit);
        var line = Assert.Single(output, l => l.StartsWith("RIFE model: ", StringComparison.Ordinal));
        Assert.Contains(model, line, StringComparison.Ordinal);
        Assert.Equal(present, line.StartsWith("RIFE model: found", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("off")]
    [InlineData("RIFE")]
    public async Task Each_interpolate_value_in_any_case_is_taken(string value)
    {
        using var folder = new TempFolder();
        var photo = folder.Write("in/lakeside.jpg", TestPhotos.Scene(160, 120));

        var (exit, _, errors) = await CliProcess.RunAsync(folder.Path, null, "convert", photo, "--interpolate", value, "--engine", "classic", "--format", "gif", "--frames", "3", "-o", folder["out"]);

        Assert.True(exit == 0, string.Join('\n', errors));
        Assert.True(File.Exists(folder["out/lakeside.gif"]));
    }
}
