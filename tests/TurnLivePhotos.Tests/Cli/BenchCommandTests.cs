using TurnLivePhotos.Engine.Weights;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Cli;

/// <summary>The benchmark commands run and print their figures (the figures themselves are not asserted: no timed tests).</summary>
/// <remarks>
/// In one collection with <see cref="FormatsBenchTests"/>: both benches make tlp-bench-* folders in the temp folder,
/// which one test here counts before and after.
/// </remarks>
[Collection(BenchTemporaryFolders)]
public sealed class BenchCommandTests
{
    public const string BenchTemporaryFolders = "bench temporary folders";

    [Fact]
    public async Task Bench_weights_prints_load_time_and_peak_rss_for_a_file()
    {
        using var folder = new TempFolder();
        var path = folder["w.safetensors"];
        SafetensorsWriter.WriteSynthetic(path, [("a", WeightType.Float32, [256, 256]), ("b", WeightType.Float16, [128])], seed: 3);
        using var output = new StringWriter();

        var exit = await TurnLivePhotos.Commands.Cli.RunAsync(["bench", "weights", path], output, TextWriter.Null);

        Assert.Equal(0, exit);
        var text = output.ToString();
        Assert.Contains("2 tensors", text, StringComparison.Ordinal);
        Assert.Contains("open (map + header):", text, StringComparison.Ordinal);
        Assert.Contains("peak RSS:", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bench_weights_without_a_file_makes_a_synthetic_one_and_removes_it()
    {
        using var output = new StringWriter();
        var before = Directory.GetDirectories(Path.GetTempPath(), "tlp-bench-*").Length;

        var exit = await TurnLivePhotos.Commands.Cli.RunAsync(["bench", "weights", "--synthetic-mb", "32"], output, TextWriter.Null);

        Assert.Equal(0, exit);
        Assert.Contains("32.0 MiB, 2 tensors", output.ToString(), StringComparison.Ordinal);
        Assert.Equal(before, Directory.GetDirectories(Path.GetTempPath(), "tlp-bench-*").Length);
    }
}

/// <summary>The output-format benchmark prints its figures (Live + Motion + GIF + MP4 from a 12-megapixel still).</summary>
[Collection(BenchCommandTests.BenchTemporaryFolders)]
public sealed class FormatsBenchTests
{
    [RequiresToolsFact("ffmpeg")]
    public async Task Bench_formats_prints_the_time_for_every_format()
    {
        using var output = new StringWriter();

        var exit = await TurnLivePhotos.Commands.Cli.RunAsync(["bench", "formats", "--frames", "3"], output, TextWriter.Null);

        Assert.Equal(0, exit);
        var text = output.ToString();
        Assert.Contains("write Live Photo + Motion Photo + GIF + MP4:", text, StringComparison.Ordinal);
        foreach (var format in new[] { "Live:", "Motion:", "Gif:", "Mp4:" })
        {
            Assert.Contains(format, text, StringComparison.Ordinal);
        }
    }
}

/// <summary>The pipeline benchmark on a tiny model folder (the full-size run is a manual benchmark, not a test).</summary>
public sealed class PipelineBenchTests
{
    public static TheoryData<string> Sets => FixtureSets.All;

    [Theory]
    [MemberData(nameof(Sets))]
    public async Task Bench_pipeline_prints_stage_times_load_time_and_peak_rss(string set)
    {
        using var folder = new TempFolder();
        var model = TinyModelFolder.Create(set, folder["model"]);
        using var output = new StringWriter();

        var exit = await TurnLivePhotos.Commands.Cli.RunAsync(
            ["bench", "pipeline", model, "--width", "64", "--height", "32", "--frames", "2", "--steps", "2", "--device", "cpu"], output, TextWriter.Null);

        Assert.Equal(0, exit);
        var text = output.ToString();
        foreach (var expected in new[] { "stage encode", "stage denoise", "stage decode", "model load", "non-model time", "peak RSS" })
        {
            Assert.Contains(expected, text, StringComparison.Ordinal);
        }

        // The counts and per-network loads come from the pipeline's Metrics instruments: 2 steps × both guidance halves.
        Assert.Contains("; 4 UNet evaluations (with the unconditional half)", text, StringComparison.Ordinal);
        Assert.Contains("  load unet-2: ", text, StringComparison.Ordinal);
    }
}

/// <summary>bench pipeline takes a preset and a sampler; explicit options win over them.</summary>
public sealed class PipelineBenchPresetTests
{
    public static TheoryData<string> Sets => FixtureSets.All;

    [Theory]
    [MemberData(nameof(Sets))]
    public async Task Quality_fast_runs_the_few_step_sampler_and_explicit_sizes_win(string set)
    {
        using var folder = new TempFolder();
        var model = TinyModelFolder.Create(set, folder["model"]);
        using var output = new StringWriter();

        var exit = await TurnLivePhotos.Commands.Cli.RunAsync(
            ["bench", "pipeline", model, "--quality", "fast", "--width", "64", "--height", "64", "--frames", "3", "--device", "cpu"], output, TextWriter.Null);

        Assert.Equal(0, exit);
        var text = output.ToString();
        Assert.Contains("run: 64x64, 3 frames, 4 steps of the AnimateLcm sampler, guidance 1.0 -> 1.2; 8 UNet evaluations", text, StringComparison.Ordinal);
        Assert.Contains("stage denoise", text, StringComparison.Ordinal);
    }
}
