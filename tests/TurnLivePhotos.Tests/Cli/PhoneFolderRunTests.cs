using TurnLivePhotos.Tests.Media;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Cli;

/// <summary>
/// What a phone user does: one `convert` run over a folder holding every kind of phone photo (the input classes of
/// <see cref="PhoneInputTests"/>, the Pixel sample carried in Samples/, and where ../shared/samples is beside the
/// repository the real iPhone HEIC too) — exit code 0, no error line, and every format written for every photo.
/// </summary>
public sealed class PhoneFolderRunTests
{
    private static readonly string[] Formats = ["live", "motion", "mp4", "gif", "webp"];

    [RequiresToolsFact("ffmpeg", "exiftool", "heif-enc")]
    public async Task Every_phone_input_class_converts_in_one_folder_run() => await RunFolderAsync(withSharedSamples: false);

    [RequiresSharedSamplesFact("ffmpeg", "exiftool", "heif-enc")]
    public async Task Every_phone_input_class_and_the_real_phone_samples_convert_in_one_folder_run() => await RunFolderAsync(withSharedSamples: true);

    private static async Task RunFolderAsync(bool withSharedSamples)
    {
        using var folder = new TempFolder();
        using var scratch = new TempFolder();
        var stems = new List<string>();
        foreach (var input in PhoneInputTests.InputClasses)
        {
            folder.Write($"in/{input}{(input == "samsung-heic" ? ".heic" : ".jpg")}", PhoneInputTests.Make(input, scratch));
            stems.Add(input);
        }

        if (withSharedSamples)
        {
            foreach (var sample in Directory.GetFiles(PhoneSamples.SharedFolder!).Where(f => Commands.ConvertCommand.PhotoExtensions.Contains(Path.GetExtension(f))))
            {
                File.Copy(sample, folder[$"in/{Path.GetFileName(sample)}"]);
                stems.Add(Path.GetFileNameWithoutExtension(sample));
            }

            Assert.Contains("iphone_IMG_3853", stems); // the iPhone Live Photo half is among them
        }

        var (exit, output, errors) = await ConvertCommandTests.RunAsync(folder, "convert", folder["in"], "-o", folder["out"], "--frames", "3", "--format", string.Join(',', Formats));

        Assert.True(exit == 0, $"exit {exit}: {string.Join(" | ", errors)}");
        Assert.DoesNotContain(errors, line => line.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains($"{stems.Count} converted, 0 failed", output);
        foreach (var stem in stems)
        {
            // A HEIC photo's Live Photo still is a HEIC (AppleStill=auto).
            var still = stem.ToUpperInvariant() + (stem is "samsung-heic" or "iphone_IMG_3853" ? ".HEIC" : ".JPG");
            foreach (var file in new[] { still, $"{stem.ToUpperInvariant()}.MOV", $"{stem}.mp4", $"{stem}.gif", $"{stem}.webp" })
            {
                Assert.True(new FileInfo(folder[$"out/{file}"]) is { Exists: true, Length: > 0 }, $"{file} was not written");
            }

            Assert.Single(Directory.GetFiles(folder["out"], $"*{stem}_MP.jpg"), file => System.Text.RegularExpressions.Regex.IsMatch(
                Path.GetFileName(file), $@"^(IMG_\d{{8}}_\d{{6}}_)?{System.Text.RegularExpressions.Regex.Escape(stem)}_MP\.jpg$"));
        }

        Assert.Empty(Directory.GetFiles(folder["out"], "*.partial", SearchOption.AllDirectories));
    }
}
