using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Cli;

/// <summary><c>convert</c> run twice: the same files replaced, or with --no-overwrite kept and the new ones suffixed together (issue 26, item 4).</summary>
public sealed class NoOverwriteTests
{
    [RequiresToolsFact("ffmpeg")]
    public async Task Running_again_replaces_the_same_files()
    {
        using var folder = new TempFolder();
        var photo = folder["in/lakeside.jpg"];

        var first = await ConvertAsync(folder, photo, seed: 1);
        var second = await ConvertAsync(folder, photo, seed: 2);

        Assert.Equal(first.Keys, second.Keys);
        Assert.Equal(Expected("lakeside", "LAKESIDE"), first.Keys);
        Assert.NotEqual(first["lakeside.gif"], second["lakeside.gif"]);
    }

    [RequiresToolsFact("ffmpeg")]
    public async Task With_no_overwrite_the_earlier_files_stay_and_each_run_gets_the_next_suffix_on_all_its_files()
    {
        using var folder = new TempFolder();
        var photo = folder["in/lakeside.jpg"];

        var first = await ConvertAsync(folder, photo, seed: 1, "--no-overwrite");
        var second = await ConvertAsync(folder, photo, seed: 2, "--no-overwrite");
        var third = await ConvertAsync(folder, photo, seed: 3, "--no-overwrite");

        Assert.Equal(Expected("lakeside", "LAKESIDE"), first.Keys);
        Assert.Equal(Expected("lakeside", "LAKESIDE", "lakeside-2", "LAKESIDE-2"), second.Keys);
        Assert.Equal(Expected("lakeside", "LAKESIDE", "lakeside-2", "LAKESIDE-2", "lakeside-3", "LAKESIDE-3"), third.Keys);
        foreach (var (name, bytes) in first)
        {
            Assert.Equal(bytes, third[name]); // the first run's files are untouched
        }

        foreach (var name in Expected("lakeside-2", "LAKESIDE-2"))
        {
            Assert.Equal(second[name], third[name]);
        }

        Assert.NotEqual(first["lakeside.gif"], second["lakeside-2.gif"]);
    }

    [RequiresToolsFact("ffmpeg")]
    public async Task With_no_overwrite_only_the_formats_being_written_decide_whether_a_name_is_taken()
    {
        using var folder = new TempFolder();
        folder.Write("in/lakeside.jpg", TestPhotos.Scene(160, 120, seed: 1));
        folder.Write("in/river.jpg", TestPhotos.Scene(160, 120, seed: 2));
        folder.Write("out/lakeside.webp", [1, 2, 3]); // another format under the name: a GIF replaces nothing
        folder.Write("out/river.gif", [4, 5, 6]); // the same format: kept, the new one is river-2.gif
        folder.Write("out/river-2.mp4", [7, 8, 9]); // another format again: river-2 is still free for a GIF

        var (exit, _, errors) = await ConvertCommandTests.RunAsync(folder, "convert", folder["in"], "-o", folder["out"], "--frames", "3", "--format", "gif", "--no-overwrite");

        Assert.True(exit == 0, string.Join("\n", errors));
        Assert.Equal(["lakeside.gif", "lakeside.webp", "river-2.gif", "river-2.mp4", "river.gif"],
            Directory.GetFiles(folder["out"]).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal([4, 5, 6], await File.ReadAllBytesAsync(folder["out/river.gif"]));
        Assert.Equal([1, 2, 3], await File.ReadAllBytesAsync(folder["out/lakeside.webp"]));
    }

    /// <summary>Live Photo, Motion Photo and GIF of a photo with a capture date, by the rule convert --help states.</summary>
    private static List<string> Expected(params string[] names)
    {
        var files = new List<string>();
        for (var i = 0; i < names.Length; i += 2)
        {
            var (lower, upper) = (names[i], names[i + 1]);
            files.AddRange([$"{lower}.gif", $"IMG_20240501_123456_{lower}_MP.jpg", $"{upper}.JPG", $"{upper}.MOV", $"{upper}.zip",
                $"{upper}.pvt/{upper}.JPG", $"{upper}.pvt/{upper}.MOV", $"{upper}.pvt/metadata.plist"]);
        }

        return [.. files.Order(StringComparer.Ordinal)];
    }

    /// <summary>Writes the photo (a camera JPEG, dated; <paramref name="seed"/> changes its pixels), converts it, and answers every output file's bytes.</summary>
    private static async Task<SortedDictionary<string, byte[]>> ConvertAsync(TempFolder folder, string photo, int seed, params string[] extra)
    {
        var bytes = TestPhotos.CameraJpeg(xmpTitle: null);
        bytes = Repaint(bytes, seed);
        Directory.CreateDirectory(Path.GetDirectoryName(photo)!);
        await File.WriteAllBytesAsync(photo, bytes);
        var formats = extra.Contains("--format") ? [] : new[] { "--format", "live,motion,gif" };
        var (exit, _, errors) = await ConvertCommandTests.RunAsync(folder, ["convert", photo, "-o", folder["out"], "--frames", "3", .. formats, .. extra]);
        Assert.True(exit == 0, string.Join("\n", errors));
        var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(folder["out"], "*", SearchOption.AllDirectories))
        {
            files[Path.GetRelativePath(folder["out"], file).Replace('\\', '/')] = await File.ReadAllBytesAsync(file);
        }

        return files;
    }

    /// <summary>The same dated camera JPEG with other pixels, so a replaced output differs from the one before.</summary>
    private static byte[] Repaint(byte[] jpeg, int seed)
    {
        using var image = new ImageMagick.MagickImage(jpeg);
        using var scene = TestPhotos.SceneImage((int)image.Width, (int)image.Height, seed);
        image.Composite(scene, ImageMagick.CompositeOperator.Copy);
        return image.ToByteArray(ImageMagick.MagickFormat.Jpeg);
    }
}
