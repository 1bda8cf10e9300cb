using ImageMagick;
using TurnLivePhotos.Media.Imaging;

namespace TurnLivePhotos.Media.Formats;

/// <summary>The files a conversion can produce.</summary>
public enum OutputFormat
{
    /// <summary>Apple Live Photo: NAME.JPG + NAME.MOV sharing one content identifier (also as .zip and .pvt).</summary>
    Live,

    /// <summary>Google/Samsung Motion Photo: one JPEG with the MP4 inside.</summary>
    Motion,
    Mp4,
    Gif,
    WebP,
}

/// <summary>What to write and how: formats, loop mode (null: each format's default), metadata policy.</summary>
public sealed record OutputOptions
{
    public IReadOnlyList<OutputFormat> Formats { get; init; } = [OutputFormat.Live, OutputFormat.Motion, OutputFormat.Gif];

    public LoopMode? Loop { get; init; }

    public bool StripMetadata { get; init; }

    /// <summary>Add Samsung's SEF trailer to motion photos (--samsung-trailer).</summary>
    public bool SamsungTrailer { get; init; }

    /// <summary>
    /// False when the formats are the defaults rather than asked for: formats this machine cannot write (video
    /// without ffmpeg) are then skipped with a note instead of failing the conversion.
    /// </summary>
    public bool FormatsRequested { get; init; } = true;

    /// <summary>Video frame rate: phone-like 30 fps, reached by repeating frames until interpolation arrives.</summary>
    public int VideoFps { get; init; } = 30;

    public static IReadOnlyList<OutputFormat> ParseFormats(string text)
    {
        var formats = new List<OutputFormat>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            formats.Add(part.ToLowerInvariant() switch
            {
                "live" => OutputFormat.Live,
                "motion" => OutputFormat.Motion,
                "mp4" => OutputFormat.Mp4,
                "gif" => OutputFormat.Gif,
                "webp" => OutputFormat.WebP,
                _ => throw new FormatException($"unknown output format '{part}' (known: live, motion, mp4, gif, webp)"),
            });
        }

        return formats.Count > 0 ? formats.Distinct().ToList() : throw new FormatException("no output format given");
    }

    /// <summary>Animations and plain video loop straight through by default; motion photos play like a phone capture.</summary>
    public LoopMode LoopFor(OutputFormat format) => Loop ?? (format is OutputFormat.Motion or OutputFormat.Live ? LoopMode.PingPong : LoopMode.Forward);
}

/// <summary>What was written, and which formats could not be (with a one-line reason each).</summary>
/// <summary>What was written (one main file per format, plus companions such as a Live Photo's .MOV, .zip and .pvt), and which formats could not be.</summary>
public sealed record WrittenOutputs(IReadOnlyDictionary<OutputFormat, string> Files, IReadOnlyDictionary<OutputFormat, string> Failures)
{
    /// <summary>The Live Photo's files as its writer returned them, when one was written.</summary>
    public LivePhotoFiles? Live { get; init; }

    /// <summary>Files written beside the main ones: a Live Photo's .MOV, .zip and .pvt.</summary>
    public IReadOnlyList<string> Companions => Live is null ? [] : [Live.Movie, Live.Zip, Live.Package];

    /// <summary>Default formats this machine cannot write, with the reason (not a failure).</summary>
    public IReadOnlyDictionary<OutputFormat, string> Skipped { get; init; } = new Dictionary<OutputFormat, string>();
}

/// <summary>Frames + the person's photo + options in, files out. Knows nothing about engines.</summary>
public sealed class OutputWriter(FfmpegEncoder ffmpeg)
{
    /// <summary>The long side of an iPhone Live Photo movie (1440×1080); within the 1920 a phone video may have.</summary>
    public const int MaxVideoLongSide = 1440;

    public async Task<WrittenOutputs> WriteAsync(byte[] photo, IReadOnlyList<RgbImage> frames, int fps, string directory, string baseName, OutputOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var files = new Dictionary<OutputFormat, string>();
        var failures = new Dictionary<OutputFormat, string>();
        LivePhotoFiles? livePhoto = null;
        var skipped = new Dictionary<OutputFormat, string>();
        var phoneVideos = new Dictionary<LoopMode, Dictionary<string, byte[]>>();
        PreparedStill? still = null;
        foreach (var format in options.Formats)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var clip = LoopSequence.Build(frames, options.LoopFor(format));
            try
            {
                switch (format)
                {
                    case OutputFormat.Gif:
                        files[format] = Path.Combine(directory, baseName + ".gif");
                        GifWriter.Write(clip.Frames, fps, files[format]);
                        break;
                    case OutputFormat.WebP:
                        files[format] = Path.Combine(directory, baseName + ".webp");
                        WebPWriter.Write(clip.Frames, fps, files[format]);
                        break;
                    case OutputFormat.Mp4:
                        var mp4 = await EncodeVideoAsync(clip, fps, VideoSize(photo, frames[0]), options, "mp4", cancellationToken);
                        files[format] = Path.Combine(directory, baseName + ".mp4");
                        AtomicFile.WriteAllBytes(files[format], mp4);
                        break;
                    case OutputFormat.Motion:
                    case OutputFormat.Live:
                        still ??= StillPhoto.Prepare(photo, options.StripMetadata);
                        var (stillWidth, stillHeight) = (still.Width, still.Height);
                        var playback = LivePhotoWriter.PlaybackFps(clip.Frames.Count, fps);
                        var key = options.LoopFor(format);
                        if (!phoneVideos.TryGetValue(key, out var phoneVideo))
                        {
                            // Live and motion photos share one encode when they share a loop mode: phone-capture timing
                            // (1.5–3 s) at 30 fps, written by one ffmpeg run as the MOV and/or the MP4 they need.
                            var containers = options.Formats
                                .Where(f => f is OutputFormat.Live or OutputFormat.Motion && options.LoopFor(f) == key)
                                .Select(f => f == OutputFormat.Live ? "mov" : "mp4")
                                .ToList();
                            var (videoWidth, videoHeight) = VideoSize(stillWidth, stillHeight, frames[0].Width, frames[0].Height);
                            var encoded = await ffmpeg.EncodeAsync(clip.Frames, playback, options.VideoFps, containers, videoWidth, videoHeight, cancellationToken);
                            phoneVideo = containers.Zip(encoded).ToDictionary(pair => pair.First, pair => pair.Second);
                            phoneVideos[key] = phoneVideo;
                        }

                        var stillSeconds = clip.StillIndex / playback;
                        if (format == OutputFormat.Motion)
                        {
                            var path = MotionPhotoPath(directory, baseName);
                            MotionPhotoWriter.Write(still, phoneVideo["mp4"], (long)Math.Round(stillSeconds * 1e6), path, options.SamsungTrailer);
                            files[format] = path;
                        }
                        else
                        {
                            livePhoto = LivePhotoWriter.Write(still.Jpeg, stillWidth, stillHeight, phoneVideo["mov"], stillSeconds, directory, baseName.ToUpperInvariant(), gainMap: still.GainMap);
                            files[format] = livePhoto.Still;
                        }

                        break;
                }
            }
            catch (FfmpegUnavailableException ex) when (!options.FormatsRequested)
            {
                files.Remove(format);
                skipped[format] = ex.Message;
            }
            catch (Exception ex) when (ex is FfmpegUnavailableException or FfmpegFailedException)
            {
                files.Remove(format);
                failures[format] = ex.Message;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Whatever one writer cannot handle in one photo (odd metadata, a JPEG cut short) costs that format
                // only: the other formats are still written and the caller reports this one as failed.
                files.Remove(format);
                failures[format] = $"{ex.Message} ({ex.GetType().Name})";
            }
        }

        return new WrittenOutputs(files, failures) { Live = livePhoto, Skipped = skipped };
    }

    /// <summary>When the still's frame plays in a live or motion photo's video, in microseconds (phone-capture timing).</summary>
    public static long StillTimestampUs(LoopedClip clip, int fps) =>
        (long)Math.Round(clip.StillIndex * 1_000_000.0 / LivePhotoWriter.PlaybackFps(clip.Frames.Count, fps));

    /// <summary>
    /// Video size: the still's aspect ratio, long side at most 1440 (phone-like, and more would only upscale frames
    /// that are about 1024 wide) and at most twice the engine's frames, even dimensions.
    /// </summary>
    public static (int Width, int Height) VideoSize(int stillWidth, int stillHeight, int frameWidth, int frameHeight)
    {
        var longSide = Math.Min(MaxVideoLongSide, Math.Min(2 * Math.Max(frameWidth, frameHeight), Math.Max(stillWidth, stillHeight)));
        var scale = (double)longSide / Math.Max(stillWidth, stillHeight);
        return (Even(stillWidth * scale), Even(stillHeight * scale));
    }

    private static (int Width, int Height) VideoSize(byte[] photo, RgbImage frame)
    {
        using var image = new MagickImage();
        image.Ping(photo);
        var (width, height) = image.Orientation is Orientation.LeftTop or Orientation.RightTop or Orientation.LeftBottom or Orientation.RightBottom
            ? ((int)image.Height, (int)image.Width)
            : ((int)image.Width, (int)image.Height);
        return VideoSize(width, height, frame.Width, frame.Height);
    }

    private Task<byte[]> EncodeVideoAsync(LoopedClip clip, int fps, (int Width, int Height) size, OutputOptions options, string container, CancellationToken cancellationToken) =>
        ffmpeg.EncodeAsync(clip.Frames, fps, options.VideoFps, container, size.Width, size.Height, cancellationToken);

    private static string MotionPhotoPath(string directory, string baseName)
    {
        // Google's naming, IMG_<date>_<time>_MP.jpg; the base name keeps files of one run apart.
        var stamp = DateTime.Now.ToString("yyyyMMdd_HHmmss", System.Globalization.CultureInfo.InvariantCulture);
        return Path.Combine(directory, $"IMG_{stamp}_{baseName}_MP.jpg");
    }

    private static int Even(double value) => Math.Max(2, (int)Math.Round(value / 2) * 2);
}
