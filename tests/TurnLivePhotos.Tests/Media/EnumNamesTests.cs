using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Media;
using TurnLivePhotos.Media.Formats;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Media;

/// <summary>The one enum-name reader and the output-format names every reader and listing use.</summary>
public sealed class EnumNamesTests
{
    [Theory]
    [InlineData("svd", EngineKind.Svd)]
    [InlineData(" Cinematic ", EngineKind.Cinematic)]
    [InlineData("CLASSIC", EngineKind.Classic)]
    public void A_declared_name_is_read_in_any_case(string text, EngineKind expected)
    {
        Assert.True(EnumNames.TryParse<EngineKind>(text, out var kind));
        Assert.Equal(expected, kind);
        Assert.Equal(expected, EnumNames.Parse<EngineKind>(text));
    }

    [Theory]
    [InlineData("1")]
    [InlineData("-1")]
    [InlineData("99")]
    [InlineData("svd,classic")]
    [InlineData("svd, classic")]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    [InlineData("svd2")]
    public void Numbers_combinations_and_other_words_are_not_names(string? text)
    {
        Assert.False(EnumNames.TryParse<EngineKind>(text, out _));
        Assert.Null(EnumNames.Parse<EngineKind>(text));
    }

    [Fact]
    public void Every_value_reads_back_from_the_name_it_is_shown_by()
    {
        foreach (var format in Enum.GetValues<OutputFormat>())
        {
            Assert.True(OutputFormatNames.TryParse(OutputFormatNames.Of(format), out var read));
            Assert.Equal(format, read);
            Assert.Contains(OutputFormatNames.Of(format), OutputFormatNames.All.Split(", "));
        }

        Assert.Equal("auto, classic, svd, cinematic", EnumNames.List<EngineKind>());
    }

    [Fact]
    public void A_format_list_keeps_the_order_given_each_format_once_and_names_what_it_does_not_know()
    {
        Assert.Equal([OutputFormat.WebP, OutputFormat.Live], OutputFormatNames.ParseList(" WEBP, live,webp "));
        var unknown = Assert.Throws<FormatException>(() => OutputFormatNames.ParseList("gif,2"));
        Assert.Contains("'2'", unknown.Message, StringComparison.Ordinal);
        Assert.Contains(OutputFormatNames.All, unknown.Message, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => OutputFormatNames.ParseList(" , "));
    }

    [Theory]
    [InlineData("1")]
    [InlineData("svd,classic")]
    public void The_settings_take_no_number_or_list_for_a_name(string engine)
    {
        using var folder = new TempFolder();
        var path = folder.Write("c.ini", $"[ModelOptions]\nEngine={engine}\n");

        var error = Assert.Throws<SettingsException>(() => SettingsLoader.Load(path));
        Assert.Contains("expected one of auto, classic, svd, cinematic", error.Message, StringComparison.Ordinal);
    }
}
