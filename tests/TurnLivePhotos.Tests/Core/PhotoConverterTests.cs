using Microsoft.Extensions.Logging.Abstractions;
using TurnLivePhotos.Core.Conversion;
using TurnLivePhotos.Media.Formats;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Media.Decoding;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Core;

public sealed class PhotoConverterTests
{
    [Fact]
    public async Task A_photo_with_exif_orientation_6_becomes_an_upright_gif()
    {
        using var folder = new TempFolder();
        var converter = Converter(folder);

        var result = await converter.ConvertAsync(
            new ConversionRequest(TestPhotos.JpegWithOrientation6(300, 200), new MotionParameters { Frames = 3 }, EngineKind.Auto, folder["out"], "upright"),
            progress: null,
            CancellationToken.None);

        var gif = GifInfo.Read(await File.ReadAllBytesAsync(result.Files[OutputFormat.Gif]));
        Assert.Equal((200u, 300u), (gif.Width, gif.Height));
        Assert.Equal("classic", result.EngineName);
        Assert.False(result.IsGenerative);
    }

    [Fact]
    public async Task A_photo_that_cannot_be_read_writes_nothing()
    {
        using var folder = new TempFolder();
        var converter = Converter(folder);

        await Assert.ThrowsAsync<UnsupportedPhotoException>(() => converter.ConvertAsync(
            new ConversionRequest("GIF89a but not really"u8.ToArray(), new MotionParameters(), EngineKind.Classic, folder["out"], "x"),
            progress: null,
            CancellationToken.None));

        Assert.False(Directory.Exists(folder["out"]));
    }

    [Fact]
    public async Task Progress_covers_the_engine_and_the_writing()
    {
        using var folder = new TempFolder();
        var stages = new List<string>();

        await Converter(folder).ConvertAsync(
            new ConversionRequest(TestPhotos.Scene(120, 80), new MotionParameters { Frames = 4 }, EngineKind.Classic, folder["out"], "p"),
            new SynchronousProgress<MotionProgress>(step => stages.Add($"{step.Stage} {step.Step}/{step.TotalSteps}")),
            CancellationToken.None);

        Assert.Equal(["animate 1/4", "animate 2/4", "animate 3/4", "animate 4/4"], stages.Take(4));
        AssertWritingCountsFormats(stages.Skip(4).ToList(), formats: 3); // the default formats: live, motion, gif
    }

    [Fact]
    public async Task The_writing_stage_reports_one_step_per_format_asked_for()
    {
        using var folder = new TempFolder();
        var steps = new List<MotionProgress>();
        var formats = new[] { OutputFormat.Gif, OutputFormat.WebP, OutputFormat.Mp4, OutputFormat.Motion, OutputFormat.Live };

        await Converter(folder).ConvertAsync(
            new ConversionRequest(TestPhotos.Scene(120, 80), new MotionParameters { Frames = 4 }, EngineKind.Classic, folder["out"], "p") { Outputs = new OutputOptions { Formats = formats } },
            new SynchronousProgress<MotionProgress>(steps.Add),
            CancellationToken.None);

        AssertWritingCountsFormats(steps.Where(s => s.Stage == "write").Select(s => s.ToString()).ToList(), formats.Length);
        var overall = steps.Select(s => s.OverallFraction).ToList();
        Assert.Equal(overall.Order(), overall);
        Assert.True(steps.First(s => s.Stage == "write").OverallFraction <= 0.9, "writing has a visible share of the bar");
    }

    /// <summary>Writing counts formats ended of those asked for, from where it stood when the frames were made, one by one to all of them.</summary>
    private static void AssertWritingCountsFormats(IReadOnlyList<string> writeStages, int formats)
    {
        Assert.NotEmpty(writeStages);
        var first = int.Parse(writeStages[0].Split(' ', '/')[1], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(Enumerable.Range(first, formats - first + 1).Select(k => $"write {k}/{formats}"), writeStages);
    }

    [Fact]
    public async Task Frames_written_as_they_arrive_are_the_files_of_the_finished_frames_and_writing_is_reported_after_the_last()
    {
        using var folder = new TempFolder();
        var photo = TestPhotos.Scene(120, 80);
        var parameters = new MotionParameters { Frames = 5 };
        var stages = new List<string>();
        var arriving = new PhotoConverter(new EngineCatalog(folder["models/none"], classic: new ArrivingEngine()), DecodeBudget.Default, NullLogger<PhotoConverter>.Instance);

        var streamed = await arriving.ConvertAsync(new ConversionRequest(photo, parameters, EngineKind.Classic, folder["streamed"], "p"),
            new SynchronousProgress<MotionProgress>(step => stages.Add($"{step.Stage} {step.Step}/{step.TotalSteps}")), CancellationToken.None);
        var finished = await Converter(folder).ConvertAsync(new ConversionRequest(photo, parameters, EngineKind.Classic, folder["finished"], "p"), null, CancellationToken.None);

        Assert.Equal(await File.ReadAllBytesAsync(finished.Files[OutputFormat.Gif]), await File.ReadAllBytesAsync(streamed.Files[OutputFormat.Gif]));
        Assert.Equal(["render 1/5", "render 2/5", "render 3/5", "render 4/5", "render 5/5"], stages.Take(5));
        AssertWritingCountsFormats(stages.Skip(5).ToList(), formats: 3);
    }

    [Fact]
    public async Task An_engine_that_breaks_while_its_frames_are_being_written_fails_the_conversion_and_writes_nothing()
    {
        using var folder = new TempFolder();
        var converter = new PhotoConverter(new EngineCatalog(folder["models/none"], classic: new ArrivingEngine(failAt: 3)), DecodeBudget.Default, NullLogger<PhotoConverter>.Instance);

        var failure = await Assert.ThrowsAsync<EngineException>(() => converter.ConvertAsync(
            new ConversionRequest(TestPhotos.Scene(120, 80), new MotionParameters { Frames = 6 }, EngineKind.Classic, folder["out"], "x"), null, CancellationToken.None));

        Assert.Contains("frame 3 could not be made", failure.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.Exists(folder["out"]) ? Directory.GetFiles(folder["out"], "*", SearchOption.AllDirectories) : []);
    }

    private static PhotoConverter Converter(TempFolder folder) =>
        new(new EngineCatalog(folder["models/none"]), DecodeBudget.Default, NullLogger<PhotoConverter>.Instance);
}
