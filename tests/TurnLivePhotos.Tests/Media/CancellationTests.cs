using TurnLivePhotos.Media.Formats;
using TurnLivePhotos.Media.Imaging;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Media;

/// <summary>A cancelled job leaves no ffmpeg running and no half-written file behind.</summary>
public sealed class CancellationTests
{
    [RequiresToolsFact("ffmpeg")]
    public async Task Cancelling_an_encode_kills_ffmpeg()
    {
        var frames = Frames(120, 958, 542);
        using var cancellation = new CancellationTokenSource();
        var encode = new FfmpegEncoder().EncodeAsync(frames, 7, 30, "mp4", 958, 542, cancellation.Token);

        var ffmpeg = await WaitForFfmpegAsync("958x542");
        cancellation.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => encode.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.True(ffmpeg.HasExited, $"ffmpeg {ffmpeg.Id} still runs after the cancel");
    }

    [RequiresToolsFact("ffmpeg")]
    public async Task A_conversion_cancelled_while_encoding_leaves_nothing_half_written()
    {
        using var folder = new TempFolder();
        var photo = TestPhotos.Scene(950, 534);
        var frames = Frames(40, 950, 534);
        using var cancellation = new CancellationTokenSource();
        var writing = new OutputWriter(new FfmpegEncoder()).WriteAsync(photo, frames, 7, folder.Path, "cancelled",
            new OutputOptions { Formats = [OutputFormat.Gif, OutputFormat.Mp4, OutputFormat.Live, OutputFormat.Motion] }, cancellation.Token);

        var ffmpeg = await WaitForFfmpegAsync("950x534");
        cancellation.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => writing.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(ffmpeg.HasExited);
        var left = Directory.EnumerateFileSystemEntries(folder.Path, "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();
        Assert.DoesNotContain(left, name => name!.Contains(".partial", StringComparison.Ordinal));
        Assert.DoesNotContain(left, name => name!.EndsWith(".mp4", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".MOV", StringComparison.Ordinal) || name.EndsWith(".zip", StringComparison.Ordinal));

        // What is there was finished: the GIF, started at once beside the encodes and never cut short by a cancel.
        Assert.All(left, name => Assert.Equal("cancelled.gif", name));
        Assert.Equal(frames.Count, GifInfo.Read(await File.ReadAllBytesAsync(Path.Combine(folder.Path, "cancelled.gif"))).Frames);
    }

    private static List<RgbImage> Frames(int count, int width, int height)
    {
        var random = new Random(7);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var pixels = new byte[3 * width * height];
            random.NextBytes(pixels);
            return new RgbImage(width, height, pixels);
        }).ToList();
    }

    /// <summary>
    /// The ffmpeg this test started: a child of this process fed frames of <paramref name="frameSize"/> (other tests
    /// running at the same time use other sizes).
    /// </summary>
    private static async Task<System.Diagnostics.Process> WaitForFfmpegAsync(string frameSize)
    {
        for (var waited = 0; ; waited += 20)
        {
            var child = System.Diagnostics.Process.GetProcessesByName("ffmpeg")
                .FirstOrDefault(process => ParentOf(process.Id) == Environment.ProcessId && CommandLine(process.Id).Contains(frameSize, StringComparison.Ordinal));
            if (child is not null)
            {
                return child;
            }

            Assert.True(waited < 60_000, $"no ffmpeg for {frameSize} frames was started");
            await Task.Delay(20);
        }
    }

    private static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }

    /// <summary>The parent process id from /proc/PID/stat (the field after the parenthesised name and the state).</summary>
    private static int? ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
