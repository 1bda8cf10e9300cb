using System.Diagnostics;
using System.Globalization;
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

    /// <summary>The ffmpeg executable that will be used, or null when there is none.</summary>
    public string? Executable { get; } = Locate(configuredPath);

    public bool IsAvailable => Executable is not null;

    /// <summary>
    /// H.264 High, yuv420p, constant <paramref name="outputFps"/> (frames are repeated to reach it), even dimensions.
    /// <paramref name="container"/> is "mp4" (with +faststart) or "mov" (moov at the end, for later atom edits).
    /// </summary>
    /// <param name="width">Output width: frames are centre-cropped to this aspect ratio, then scaled (Lanczos).</param>
    public async Task<byte[]> EncodeAsync(IReadOnlyList<RgbImage> frames, double inputFps, int outputFps, string container, int width, int height, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(frames);
        var ffmpeg = Executable ?? throw new FfmpegUnavailableException($"the video formats (live, motion, mp4) need ffmpeg, which was not found: {InstallHint}");
        var (cropWidth, cropHeight) = CropToAspect(frames[0].Width, frames[0].Height, width, height);
        var output = Path.Combine(Path.GetTempPath(), $"tlp-{Guid.NewGuid():N}.{container}");
        var info = new ProcessStartInfo(ffmpeg)
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "-hide_banner", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", $"{frames[0].Width}x{frames[0].Height}", "-framerate", inputFps.ToString(CultureInfo.InvariantCulture), "-i", "-",
            "-vf", $"crop={cropWidth}:{cropHeight},scale={width}:{height}:flags=lanczos,setsar=1,fps={outputFps}",
            "-c:v", "libx264", "-profile:v", "high", "-pix_fmt", "yuv420p", "-crf", "18", "-preset", "veryfast",
            "-tag:v", "avc1", "-r", outputFps.ToString(CultureInfo.InvariantCulture),
        }.Concat(container == "mp4" ? ["-movflags", "+faststart", "-f", "mp4"] : ["-f", "mov"]).Append(output))
        {
            info.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(info) ?? throw new FfmpegUnavailableException($"ffmpeg could not be started: {InstallHint}");
            var errors = process.StandardError.ReadToEndAsync(cancellationToken);
            await using (var input = process.StandardInput.BaseStream)
            {
                foreach (var frame in frames)
                {
                    await input.WriteAsync(frame.Pixels, cancellationToken);
                }
            }

            await process.WaitForExitAsync(cancellationToken);
            if (process.ExitCode != 0)
            {
                throw new FfmpegFailedException($"ffmpeg failed ({process.ExitCode}): {(await errors).Trim().Split('\n')[0]}");
            }

            return await File.ReadAllBytesAsync(output, cancellationToken);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new FfmpegUnavailableException($"ffmpeg at {ffmpeg} could not run ({ex.Message}): {InstallHint}");
        }
        finally
        {
            File.Delete(output);
        }
    }

    /// <summary>The same H.264 stream in another container ("mov": moov at the end, for the Live Photo atom edits), without re-encoding.</summary>
    public async Task<byte[]> RemuxAsync(byte[] video, string container, CancellationToken cancellationToken = default)
    {
        var ffmpeg = Executable ?? throw new FfmpegUnavailableException($"the video formats (live, motion, mp4) need ffmpeg, which was not found: {InstallHint}");
        var input = Path.Combine(Path.GetTempPath(), $"tlp-{Guid.NewGuid():N}.in");
        var output = Path.Combine(Path.GetTempPath(), $"tlp-{Guid.NewGuid():N}.{container}");
        try
        {
            await File.WriteAllBytesAsync(input, video, cancellationToken);
            var info = new ProcessStartInfo(ffmpeg) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var argument in new[] { "-hide_banner", "-loglevel", "error", "-y", "-i", input, "-c", "copy", "-tag:v", "avc1", "-f", container, output })
            {
                info.ArgumentList.Add(argument);
            }

            using var process = Process.Start(info) ?? throw new FfmpegUnavailableException($"ffmpeg could not be started: {InstallHint}");
            var errors = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            if (process.ExitCode != 0)
            {
                throw new FfmpegFailedException($"ffmpeg failed ({process.ExitCode}): {(await errors).Trim().Split('\n')[0]}");
            }

            return await File.ReadAllBytesAsync(output, cancellationToken);
        }
        finally
        {
            File.Delete(input);
            File.Delete(output);
        }
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
