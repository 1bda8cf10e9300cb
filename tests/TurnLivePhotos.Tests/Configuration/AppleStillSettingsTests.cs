using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Media.Formats;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Configuration;

/// <summary>[OutputOptions] AppleStill: auto by default, each value read, anything else refused naming the key.</summary>
public sealed class AppleStillSettingsTests
{
    [Theory]
    [InlineData("", AppleStill.Auto)]
    [InlineData("AppleStill=auto", AppleStill.Auto)]
    [InlineData("AppleStill=jpeg", AppleStill.Jpeg)]
    [InlineData("AppleStill=HEIC", AppleStill.Heic)]
    public void AppleStill_is_read_from_output_options(string line, AppleStill expected)
    {
        using var folder = new TempFolder();

        var settings = SettingsLoader.Load(folder.Write("c.ini", $"[OutputOptions]\n{line}\n"));

        Assert.Equal(expected, settings.Output.AppleStill);
    }

    [Fact]
    public void An_unknown_apple_still_is_refused_naming_the_key()
    {
        using var folder = new TempFolder();
        var path = folder.Write("bad.ini", "[OutputOptions]\nAppleStill=png\n");

        var error = Assert.Throws<SettingsException>(() => SettingsLoader.Load(path));

        Assert.Contains("[OutputOptions] AppleStill = \"png\"", error.Message, StringComparison.Ordinal);
    }
}
