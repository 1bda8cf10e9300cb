using ImageMagick;
using TurnLivePhotos.Commands;
using TurnLivePhotos.Tests.Configuration;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Cli;

public sealed class ConvertCommandTests
{
    [Fact]
    public async Task A_folder_with_one_corrupt_photo_converts_the_good_ones_and_fails()
    {
        using var folder = new TempFolder();
        folder.Write("in/a.jpg", TestPhotos.Scene(160, 120, seed: 1));
        folder.Write("in/b.png", TestPhotos.Scene(120, 160, MagickFormat.Png, seed: 2));
        folder.Write("in/broken.jpg", "definitely not a jpeg"u8.ToArray());
        folder.Write("in/notes.txt", "ignored: not a photo extension");

        var (exit, output, errors) = await RunAsync(folder, "convert", folder["in"], "-o", folder["out"], "--frames", "4");

        Assert.Equal(1, exit);
        Assert.True(File.Exists(folder["out/a.gif"]));
        Assert.True(File.Exists(folder["out/b.gif"]));
        Assert.False(File.Exists(folder["out/broken.gif"]));
        // Without ffmpeg the default video formats add "note:" lines; errors are the "error:" lines alone.
        var error = Assert.Single(errors, line => !line.StartsWith("note: ", StringComparison.Ordinal));
        Assert.StartsWith("error: broken.jpg: ", error, StringComparison.Ordinal);
        Assert.Contains("2 converted, 1 failed", output);
        Assert.Empty(Directory.GetFiles(folder["out"], "*.partial", SearchOption.AllDirectories));
    }

    [Theory]
    [InlineData("--frame", "10", "unknown option --frame; did you mean --frames?")]
    [InlineData("--fomat", "gif", "unknown option --fomat; did you mean --format?")]
    [InlineData("--motion-bucket", "90", "unknown option --motion-bucket; did you mean --motion-bucket-id?")]
    [InlineData("--wobble", "3", "unknown option --wobble")]
    [InlineData("--loop", "sideways", "--loop must be one of forward, pingpong, crossfade, got \"sideways\"")]
    [InlineData("--apple-still", "png", "--apple-still must be one of auto, jpeg, heic, got \"png\"")]
    [InlineData("--engine", "sdv", "--engine must be one of auto, classic, cinematic, svd, got \"sdv\"")]
    [InlineData("--interpolate", "film", "--interpolate must be one of auto, off, rife, got \"film\"")]
    public async Task A_mistyped_option_or_value_is_one_usage_error_line_and_nothing_is_converted(string option, string value, string expected)
    {
        using var folder = new TempFolder();
        var photo = folder.Write("in/lakeside.jpg", TestPhotos.Scene(160, 120));

        var (exit, output, errors) = await RunAsync(folder, "convert", photo, option, value, "-o", folder["out"]);

        Assert.Equal(2, exit);
        Assert.Equal($"error: {expected} (see --help)", Assert.Single(errors));
        Assert.Empty(output);
        Assert.False(Directory.Exists(folder["out"]));
    }

    [Fact]
    public async Task Ctrl_c_between_photos_keeps_what_is_done_and_says_in_one_line_what_is_not()
    {
        using var folder = new TempFolder();
        foreach (var name in new[] { "a", "b", "c" })
        {
            folder.Write($"in/{name}.jpg", TestPhotos.Scene(160, 120));
        }

        using var interrupt = new CancellationTokenSource();
        using var output = new InterruptingWriter(interrupt, "a.jpg -> "); // Ctrl-C as the first photo reports its file
        using var error = new StringWriter();
        var empty = folder.Write("empty.ini", string.Empty);

        var exit = await TurnLivePhotos.Commands.Cli.RunAsync(["convert", folder["in"], "-o", folder["out"], "--frames", "3", "--format", "gif", "--config", empty], output, error, interrupt.Token);

        Assert.Equal(130, exit);
        Assert.Equal("interrupted while converting b.jpg: 1 converted, 0 failed, 1 not started; every file written is whole", Assert.Single(Lines(error)));
        Assert.Equal(["a.gif"], Directory.GetFiles(folder["out"], "*", SearchOption.AllDirectories).Select(Path.GetFileName));
    }

    /// <summary>Output that cancels a token once a line containing <paramref name="marker"/> is written.</summary>
    private sealed class InterruptingWriter(CancellationTokenSource interrupt, string marker) : StringWriter
    {
        public override Task WriteLineAsync(string? value)
        {
            if (value?.Contains(marker, StringComparison.Ordinal) == true)
            {
                interrupt.Cancel();
            }

            return base.WriteLineAsync(value);
        }
    }

    [Fact]
    public async Task A_file_whose_name_starts_with_a_dash_is_still_a_photo()
    {
        using var folder = new TempFolder();
        folder.Write("-dash.jpg", TestPhotos.Scene(160, 120));

        var config = folder.Write("empty.ini", string.Empty);

        var (exit, _, errors) = await CliProcess.RunAsync(folder.Path, null, "convert", "-dash.jpg", "-o", folder["out"], "--frames", "3", "--format", "gif", "--config", config);

        Assert.True(exit == 0, string.Join("\n", errors));
        Assert.True(File.Exists(folder["out/-dash.gif"]));
    }

    [RequiresToolsFact("ffmpeg")]
    public async Task A_photo_that_fails_prints_only_the_commands_own_lines_no_logger_lines()
    {
        using var folder = new TempFolder();
        var whole = TestPhotos.Scene(320, 240, seed: 3);
        folder.Write("cut.jpg", whole[..(whole.Length * 2 / 3)]);
        var config = folder.Write("empty.ini", string.Empty);

        var (exit, output, errors) = await CliProcess.RunAsync(folder.Path, null, "convert", "cut.jpg", "-o", folder["out"], "--frames", "3", "--format", "live,gif", "--config", config);

        Assert.Equal(1, exit);
        Assert.StartsWith("error: cut.jpg: the JPEG data ends before the image does", Assert.Single(errors), StringComparison.Ordinal);
        Assert.DoesNotContain(output.Concat(errors), line => line.Contains("warn:", StringComparison.Ordinal) || line.Contains("PhotoConverter", StringComparison.Ordinal));
    }

    [RequiresToolsFact("ffmpeg")]
    public async Task The_motion_photo_is_named_after_the_photo_and_its_capture_time_so_running_again_replaces_it()
    {
        using var folder = new TempFolder();
        var dated = folder.Write("in/camera.jpg", TestPhotos.CameraJpeg(xmpTitle: null)); // DateTimeOriginal 2024:05:01 12:34:56
        var undated = folder.Write("in/scene.jpg", TestPhotos.Scene(160, 120));

        for (var run = 0; run < 2; run++)
        {
            var (exit, _, errors) = await RunAsync(folder, "convert", dated, undated, "-o", folder["out"], "--frames", "3", "--format", "motion");
            Assert.True(exit == 0, string.Join("\n", errors));
        }

        Assert.Equal(["IMG_20240501_123456_camera_MP.jpg", "scene_MP.jpg"], Directory.GetFiles(folder["out"], "*_MP.jpg").Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Help_lists_every_output_format_and_loop()
    {
        using var folder = new TempFolder();

        var (exit, output, _) = await RunAsync(folder, "convert", "--help");

        Assert.Equal(0, exit);
        var format = Assert.Single(output, line => line.TrimStart().StartsWith("--format", StringComparison.Ordinal));
        foreach (var name in Enum.GetNames<TurnLivePhotos.Media.Formats.OutputFormat>())
        {
            Assert.Contains(name.ToLowerInvariant(), format, StringComparison.Ordinal);
        }

        var loop = Assert.Single(output, line => line.TrimStart().StartsWith("--loop", StringComparison.Ordinal));
        foreach (var name in Enum.GetNames<TurnLivePhotos.Media.Formats.LoopMode>())
        {
            Assert.Contains(name.ToLowerInvariant(), loop, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_folder_run_says_what_it_skipped_and_why()
    {
        using var folder = new TempFolder();
        folder.Write("in/a.jpg", TestPhotos.Scene(160, 120));
        folder.Write("in/notes.txt", "not a photo");
        folder.Write("in/sub/c.webp", TestPhotos.Scene(120, 90, MagickFormat.WebP));

        var (exit, _, errors) = await RunAsync(folder, "convert", folder["in"], "-o", folder["out"], "--frames", "3", "--format", "gif");

        Assert.Equal(0, exit);
        Assert.Contains(errors, line => line.StartsWith($"note: skipped {folder["in/notes.txt"]}: not a photo file name", StringComparison.Ordinal));
        Assert.Contains(errors, line => line.StartsWith($"note: skipped {folder["in/sub"]}{Path.DirectorySeparatorChar}: folders inside a folder are not searched", StringComparison.Ordinal));
        Assert.True(File.Exists(folder["out/a.gif"]));
        Assert.False(File.Exists(folder["out/c.gif"]));
    }

    [RequiresToolsFact("ffmpeg")]
    public async Task A_photo_cut_short_makes_nothing_is_one_error_line_and_the_batch_goes_on()
    {
        using var folder = new TempFolder();
        // A JPEG cut short inside its scan data (an interrupted copy): the decoder would fill the rest with grey, so no
        // format may be made from it. Named "a…" so it comes first in the run.
        var whole = TestPhotos.Scene(320, 240, seed: 3);
        folder.Write("in/a-cut.jpg", whole[..(whole.Length * 2 / 3)]);
        folder.Write("in/b-good.jpg", TestPhotos.Scene(160, 120, seed: 4));

        var (exit, output, errors) = await RunAsync(folder, "convert", folder["in"], "-o", folder["out"], "--frames", "3", "--format", "live,motion,gif");

        Assert.Equal(1, exit);
        Assert.Equal("error: a-cut.jpg: the JPEG data ends before the image does; the file is cut short or damaged (Premature end of JPEG file)", Assert.Single(errors));
        Assert.Contains("1 converted, 1 failed", output);
        Assert.DoesNotContain(Directory.GetFiles(folder["out"], "*", SearchOption.AllDirectories), file => file.Contains("cut", StringComparison.OrdinalIgnoreCase));
        foreach (var name in new[] { "B-GOOD.JPG", "B-GOOD.MOV", "b-good.gif" })
        {
            Assert.True(File.Exists(folder[$"out/{name}"]), name);
        }

        Assert.True(File.Exists(folder["out/b-good_MP.jpg"]));
        Assert.Empty(Directory.GetFiles(folder["out"], "*.partial", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Frames_and_fps_reach_the_gif()
    {
        using var folder = new TempFolder();
        var photo = folder.Write("p.jpg", TestPhotos.Scene(200, 150));

        var (exit, output, _) = await RunAsync(folder, "convert", photo, "-o", folder["out"], "--frames", "9", "--fps", "12", "--motion-bucket-id", "200", "--seed", "5");

        Assert.Equal(0, exit);
        Assert.Contains(output, line => line.Contains(folder["out/p.gif"], StringComparison.Ordinal));
        var gif = GifInfo.Read(await File.ReadAllBytesAsync(folder["out/p.gif"]));
        Assert.Equal(9, gif.Frames);
        Assert.Equal(Math.Round(9 * 100 / 12.0), gif.Delays.Sum());
    }

    [Fact]
    public async Task Photos_with_the_same_name_do_not_overwrite_each_other()
    {
        using var folder = new TempFolder();
        var first = folder.Write("one/p.jpg", TestPhotos.Scene(100, 80, seed: 1));
        var second = folder.Write("two/p.jpg", TestPhotos.Scene(100, 80, seed: 2));

        var (exit, _, _) = await RunAsync(folder, "convert", first, second, "-o", folder["out"], "--frames", "2");

        Assert.Equal(0, exit);
        Assert.True(File.Exists(folder["out/p.gif"]));
        Assert.True(File.Exists(folder["out/p-2.gif"]));
    }

    [Fact]
    public async Task A_bad_flag_value_is_one_line_and_exit_2()
    {
        using var folder = new TempFolder();
        var photo = folder.Write("p.jpg", TestPhotos.Scene(100, 80));

        var (exit, _, errors) = await RunAsync(folder, "convert", photo, "--frames", "-1");

        Assert.Equal(2, exit);
        var line = Assert.Single(errors);
        Assert.Contains("[ModelOptions] OutputFrames = \"-1\"", line, StringComparison.Ordinal);
        Assert.Contains("command line", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_file_is_reported_and_the_rest_converted()
    {
        using var folder = new TempFolder();
        var photo = folder.Write("p.jpg", TestPhotos.Scene(100, 80));

        var (exit, _, errors) = await RunAsync(folder, "convert", folder["ghost.jpg"], photo, "-o", folder["out"], "--frames", "2");

        Assert.Equal(1, exit);
        Assert.Contains(errors, line => line.Contains("ghost.jpg", StringComparison.Ordinal) && line.Contains("no such file", StringComparison.Ordinal));
        Assert.True(File.Exists(folder["out/p.gif"]));
    }

    [Fact]
    public async Task Svd_without_a_model_folder_fails_each_photo_with_the_missing_parts()
    {
        using var folder = new TempFolder();
        var photo = folder.Write("p.jpg", TestPhotos.Scene(100, 80));

        var (exit, _, errors) = await RunAsync(folder, "convert", photo, "-o", folder["out"], "--engine", "svd", "--set", $"StoreOptions:ModelsHome={folder["models"]}");

        Assert.Equal(1, exit);
        var line = Assert.Single(errors);
        Assert.Contains("no SVD model at " + folder["models"], line, StringComparison.Ordinal);
        Assert.False(Directory.Exists(folder["out"]) && Directory.EnumerateFiles(folder["out"]).Any());
    }

    [Fact]
    public async Task An_incomplete_model_folder_is_listed_part_by_part()
    {
        using var folder = new TempFolder();
        var photo = folder.Write("p.jpg", TestPhotos.Scene(100, 80));
        folder.Write("models/svd/model_index.json", "{}");
        folder.Write("models/svd/vae/config.json", "{}");

        var (exit, _, errors) = await RunAsync(folder, "convert", photo, "--engine", "svd",
            "--set", $"StoreOptions:ModelsHome={folder["models"]}", "--set", "ModelOptions:ModelName=svd");

        Assert.Equal(1, exit);
        var line = Assert.Single(errors);
        Assert.Contains("incomplete", line, StringComparison.Ordinal);
        Assert.Contains("unet/config.json", line, StringComparison.Ordinal);
        Assert.Contains("vae/*.safetensors", line, StringComparison.Ordinal);
        Assert.DoesNotContain("vae/config.json", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Auto_says_plainly_that_the_classic_engine_is_not_ai()
    {
        using var folder = new TempFolder();
        var photo = folder.Write("p.jpg", TestPhotos.Scene(100, 80));

        var (exit, output, _) = await RunAsync(folder, "convert", photo, "-o", folder["out"], "--frames", "2", "--set", $"StoreOptions:ModelsHome={folder["models"]}");

        Assert.Equal(0, exit);
        Assert.Contains(output, line => line.StartsWith("Engine: classic", StringComparison.Ordinal) && line.Contains("not AI", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Without_ffmpeg_a_video_format_is_one_error_line_and_the_gif_is_still_written()
    {
        using var folder = new TempFolder();
        var photo = folder.Write("p.jpg", TestPhotos.Scene(100, 80));

        var (exit, _, errors) = await RunAsync(folder, "convert", photo, "-o", folder["out"], "--frames", "2", "--format", "mp4,gif",
            "--set", $"ToolOptions:FFmpegPath={folder["missing/ffmpeg"]}");

        Assert.Equal(1, exit);
        var line = Assert.Single(errors);
        Assert.StartsWith("error: p.jpg: mp4: ", line, StringComparison.Ordinal);
        Assert.Contains("install ffmpeg", line, StringComparison.Ordinal);
        Assert.True(File.Exists(folder["out/p.gif"]));
        Assert.False(File.Exists(folder["out/p.mp4"]));
    }

    [Fact]
    public async Task Without_ffmpeg_the_default_formats_skip_video_with_a_note_and_succeed()
    {
        using var folder = new TempFolder();
        var photo = folder.Write("p.jpg", TestPhotos.Scene(100, 80));

        var (exit, _, errors) = await RunAsync(folder, "convert", photo, "-o", folder["out"], "--frames", "2",
            "--set", $"ToolOptions:FFmpegPath={folder["missing/ffmpeg"]}");

        Assert.Equal(0, exit);
        var note = Assert.Single(errors);
        Assert.StartsWith("note: p.jpg: live, motion skipped: the video formats (live, motion, mp4) need ffmpeg, which was not found: ", note, StringComparison.Ordinal);
        Assert.EndsWith(TurnLivePhotos.Media.Formats.FfmpegEncoder.InstallHint, note, StringComparison.Ordinal);
        if (OperatingSystem.IsLinux())
        {
            Assert.Contains("sudo apt-get install ffmpeg", note, StringComparison.Ordinal);
        }
        Assert.Equal(["p.gif"], Directory.GetFileSystemEntries(folder["out"]).Select(Path.GetFileName));
    }

    [RequiresToolsFact("ffmpeg")]
    public async Task By_default_convert_writes_a_live_photo_a_motion_photo_and_a_gif()
    {
        using var folder = new TempFolder();
        var photo = folder.Write("p.jpg", TestPhotos.Scene(100, 80));

        var (exit, output, _) = await RunAsync(folder, "convert", photo, "-o", folder["out"], "--frames", "3");

        Assert.Equal(0, exit);
        var names = Directory.GetFileSystemEntries(folder["out"]).Select(Path.GetFileName).ToList();
        Assert.Contains("P.JPG", names);
        Assert.Contains("P.MOV", names);
        Assert.Contains("P.zip", names);
        Assert.Contains("P.pvt", names);
        Assert.Contains("p.gif", names);
        Assert.Contains("p_MP.jpg", names);
        Assert.Contains(output, line => line.Contains("P.MOV", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unknown_format_is_a_settings_error()
    {
        using var folder = new TempFolder();
        var photo = folder.Write("p.jpg", TestPhotos.Scene(100, 80));

        var (exit, _, errors) = await RunAsync(folder, "convert", photo, "--format", "gif,avi");

        Assert.Equal(2, exit);
        Assert.Contains("[OutputOptions] Formats = \"gif,avi\"", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_readme_main_command_converts_the_example_photo()
    {
        using var folder = new TempFolder();
        var example = Path.Combine(SettingsTests.RepositoryRoot(), "examples", "lakeside.jpg");

        var (exit, output, _) = await RunAsync(folder, "convert", example, "-o", folder.Path, "--frames", "3");

        Assert.Equal(0, exit);
        Assert.Contains(output, line => line.Contains(folder["lakeside.gif"], StringComparison.Ordinal));
        Assert.Equal(3, GifInfo.Read(await File.ReadAllBytesAsync(folder["lakeside.gif"])).Frames);
    }

    internal static async Task<(int Exit, List<string> Output, List<string> Errors)> RunAsync(TempFolder folder, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var empty = folder.Write("empty.ini", string.Empty);
        var exit = await TurnLivePhotos.Commands.Cli.RunAsync([.. args, "--config", empty], output, error);
        return (exit, Lines(output), Lines(error));
    }

    private static List<string> Lines(StringWriter writer) =>
        writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
}
