using System.Diagnostics;
using System.Globalization;
using TurnLivePhotos.Media.Colour;
using TurnLivePhotos.Media.Imaging;

namespace TurnLivePhotos.Media.Formats;

/// <summary>ffmpeg is not installed or cannot run; the message says how to fix it.</summary>
public sealed class FfmpegUnavailableException(string message) : Exception(message);

/// <summary>ffmpeg ran and failed.</summary>
public sealed class FfmpegFailedException(string message) : Exception(message);

/// <summary>
/// Encodes frames to H.264 with ffmpeg, fed raw RGB frames over its standard input. ffmpeg comes from
/// [ToolOptions] FFmpegPath or the PATH (Debian: apt-get install ffmpeg).
/// </summary>
public sealed class FfmpegEncoder(string? configuredPath = null)
{
    /// <summary>The fix for this machine: the install line of its platform (the README lists all three).</summary>
    public static string InstallHint { get; } =
        $"install it ({(OperatingSystem.IsWindows() ? "winget install ffmpeg" : OperatingSystem.IsMacOS() ? "brew install ffmpeg" : "Debian/Ubuntu: sudo apt-get install ffmpeg")}) or set [ToolOptions] FFmpegPath";

    /// <summary>
    /// x264's speed preset: <c>superfast</c> takes about a third less CPU than <c>veryfast</c> for larger files at the
    /// same CRF, still near an iPhone's own movie size (docs/benchmarks.md, "Formats"). Rejected: a higher CRF to win
    /// the size back (visibly softer frames), and ultrafast (no CABAC, B-frames or deblocking: twice the size again).
    /// </summary>
    public const string Preset = "superfast";

    /// <summary>The ffmpeg executable that will be used, or null when there is none.</summary>
    public string? Executable { get; } = Locate(configuredPath);

    public bool IsAvailable => Executable is not null;

    /// <summary>
    /// H.264 High, yuv420p, even dimensions, at <paramref name="inputFps"/> — or at a constant
    /// <paramref name="outputFps"/> reached by repeating frames, when one is given.
    /// <paramref name="container"/> is "mp4" (with +faststart) or "mov" (moov at the end, for later atom edits).
    /// </summary>
    /// <param name="width">Output width: frames are centre-cropped to this aspect ratio, then scaled (Lanczos).</param>
    /// <remarks>The frames are sRGB; the video is tagged BT.709.</remarks>
    public async Task<byte[]> EncodeAsync(IReadOnlyList<RgbImage> frames, double inputFps, int? outputFps, string container, int width, int height, CancellationToken cancellationToken = default) =>
        (await EncodeAsync(frames, inputFps, outputFps, [container], width, height, RgbSpace.Srgb, cancellationToken))[0];

    /// <summary>
    /// One encode written in every container of <paramref name="containers"/> by the same ffmpeg process (its tee
    /// muxer), so a Live Photo's MOV and a Motion Photo's MP4 cost one encode and no second process to remux.
    /// Returns the files in the order of <paramref name="containers"/>.
    /// </summary>
    /// <param name="space">The frames' RGB space; the video keeps it and says so (<see cref="VideoColour"/>).</param>
    public async Task<IReadOnlyList<byte[]>> EncodeAsync(IReadOnlyList<RgbImage> frames, double inputFps, int? outputFps, IReadOnlyList<string> containers, int width, int height, RgbSpace space, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(frames);
        ArgumentNullException.ThrowIfNull(containers);
        var ffmpeg = Executable ?? throw new FfmpegUnavailableException($"the video formats (live, motion, mp4) need ffmpeg, which was not found: {InstallHint}");
        var first = await frames.FrameAsync(0, cancellationToken);
        var (cropWidth, cropHeight) = CropToAspect(first.Width, first.Height, width, height);

        // ffmpeg runs in the temporary folder and writes plain relative names there: the tee muxer's list syntax
        // then never has to escape a path (a Windows drive letter, backslashes).
        var folder = Path.GetTempPath();
        var outputs = containers.Select(container => $"tlp-{Guid.NewGuid():N}.{container}").ToList();
        var info = new ProcessStartInfo(ffmpeg)
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
            WorkingDirectory = folder,
        };
        // write_colr: the colour tags go into the sample entry's colr nclx box too, not only the H.264 VUI.
        IEnumerable<string> muxing = outputs.Count == 1
            ? new[] { "-movflags", containers[0] == "mp4" ? "+faststart+write_colr" : "+write_colr", "-f", containers[0], outputs[0] }
            : ["-map", "0:v", "-f", "tee", string.Join('|', outputs.Select((output, i) => containers[i] == "mp4" ? $"[f=mp4:movflags=+faststart+write_colr]{output}" : $"[f={containers[i]}:movflags=+write_colr]{output}"))];
        var colour = VideoColour.For(space);
        // A fractional rate (8⅓ fps: 25 frames in 3 s) goes to ffmpeg as a fraction, so the timestamps are exact.
        var rate = Rational(inputFps);
        IEnumerable<string> repeat = outputFps is { } constant ? ["-r", constant.ToString(CultureInfo.InvariantCulture)] : [];
        foreach (var argument in new[]
        {
            "-hide_banner", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", $"{first.Width}x{first.Height}", "-framerate", rate, "-i", "-",
            // The scaler makes the YUV itself, with the matrix the tags name (its default would be BT.601 whatever the tags).
            "-vf", $"crop={cropWidth}:{cropHeight},scale={width}:{height}:flags=lanczos:out_color_matrix={colour.ScaleMatrix}:out_range=tv,format=yuv420p,setsar=1" + (outputFps is { } fps ? $",fps={fps}" : string.Empty),
            "-c:v", "libx264", "-profile:v", "high", "-pix_fmt", "yuv420p", "-crf", "18", "-preset", Preset,
            "-color_primaries", colour.Primaries, "-color_trc", colour.Transfer, "-colorspace", colour.Matrix, "-color_range", "tv",
            "-tag:v", "avc1",
        }.Concat(repeat).Concat(muxing))
        {
            info.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(info) ?? throw new FfmpegUnavailableException($"ffmpeg could not be started: {InstallHint}");
            await RunAsync(process, async () =>
            {
                await using var input = process.StandardInput.BaseStream;
                for (var i = 0; i < frames.Count; i++)
                {
                    // Frames still being made are awaited here, so ffmpeg encodes the first while the engine makes the rest.
                    await input.WriteAsync((await frames.FrameAsync(i, cancellationToken)).Pixels, cancellationToken);
                }
            }, cancellationToken);
            var files = new List<byte[]>();
            foreach (var output in outputs)
            {
                files.Add(await File.ReadAllBytesAsync(Path.Combine(folder, output), cancellationToken));
            }

            return files;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new FfmpegUnavailableException($"ffmpeg at {ffmpeg} could not run ({ex.Message}): {InstallHint}");
        }
        finally
        {
            foreach (var output in outputs)
            {
                File.Delete(Path.Combine(folder, output));
            }
        }
    }

    /// <summary>
    /// Feeds a started ffmpeg and waits for it. On cancellation ffmpeg (and anything it started) is killed at once —
    /// from the token's callback, so a write blocked on a full pipe or a wait that does not watch the token ends too —
    /// and waited for before the exception goes on, so no encoder outlives its job and the temporary files can be
    /// deleted; a failed run throws with ffmpeg's first error line.
    /// </summary>
    private static async Task RunAsync(Process process, Func<Task> feed, CancellationToken cancellationToken)
    {
        var errors = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var killOnCancel = cancellationToken.Register(() => KillTree(process));
        try
        {
            await feed();
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is OperationCanceledException || cancellationToken.IsCancellationRequested)
        {
            // A write into ffmpeg's input can also end in an IOException once the job is cancelled.
            KillTree(process);
            await process.WaitForExitAsync(CancellationToken.None);
            cancellationToken.ThrowIfCancellationRequested();
            throw;
        }
        catch (IOException)
        {
            // ffmpeg stopped reading: it failed, and says why on its error output.
            await process.WaitForExitAsync(CancellationToken.None);
        }

        if (process.ExitCode != 0)
        {
            throw new FfmpegFailedException($"ffmpeg failed ({process.ExitCode}): {(await errors).Trim().Split('\n')[0]}");
        }
    }

    private static void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It has exited already.
        }
    }

    /// <summary>
    /// A frame rate as ffmpeg's exact fraction ("25/3" for 8⅓, "7/1" for 7): the rates we play at are a frame count over
    /// a whole number of seconds, or the engine's integer rate, so a small denominator always fits.
    /// </summary>
    public static string Rational(double fps)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fps);
        for (var denominator = 1; denominator <= 1001; denominator++)
        {
            var numerator = Math.Round(fps * denominator);
            if (Math.Abs((fps * denominator) - numerator) < 1e-9 * numerator)
            {
                return FormattableString.Invariant($"{numerator:0}/{denominator}");
            }
        }

        return fps.ToString("R", CultureInfo.InvariantCulture);
    }

    /// <summary>The largest centred window of a frame with the target's aspect ratio.</summary>
    public static (int Width, int Height) CropToAspect(int frameWidth, int frameHeight, int targetWidth, int targetHeight)
    {
        var targetAspect = (double)targetWidth / targetHeight;
        return (double)frameWidth / frameHeight > targetAspect
            ? ((int)Math.Round(frameHeight * targetAspect), frameHeight)
            : (frameWidth, (int)Math.Round(frameWidth / targetAspect));
    }

    private static string? Locate(string? configuredPath)
    {
        if (!string.IsNullOrWhiteSpace(configuredPath))
        {
            return File.Exists(configuredPath) ? Path.GetFullPath(configuredPath) : null;
        }

        var name = OperatingSystem.IsWindows() ? "ffmpeg.exe" : "ffmpeg";
        return (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, name))
            .FirstOrDefault(File.Exists);
    }
}
