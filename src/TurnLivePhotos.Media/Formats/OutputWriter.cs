using ImageMagick;
using TurnLivePhotos.Media.Colour;
using TurnLivePhotos.Media.Imaging;
using TurnLivePhotos.Media.Jpeg;

namespace TurnLivePhotos.Media.Formats;

/// <summary>The files a conversion can produce.</summary>
public enum OutputFormat
{
    /// <summary>Apple Live Photo: NAME.JPG (NAME.HEIC from a HEIC photo) + NAME.MOV sharing one content identifier (also as .zip and .pvt).</summary>
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

    /// <summary>The Live Photo still's format (--apple-still): auto is HEIC for a HEIC photo, JPEG otherwise.</summary>
    public AppleStill AppleStill { get; init; } = AppleStill.Auto;

    /// <summary>
    /// False when the formats are the defaults rather than asked for: formats this machine cannot write (video
    /// without ffmpeg) are then skipped with a note instead of failing the conversion.
    /// </summary>
    public bool FormatsRequested { get; init; } = true;

    /// <summary>
    /// Brings the phone videos and the MP4 to <see cref="ClipInterpolation.TargetFps"/> with frames made between the
    /// clip's own (null: each frame plays once at the clip's rate). GIF and WebP keep the clip's rate.
    /// </summary>
    public IClipInterpolator? Interpolator { get; init; }


    /// <summary>Animations and plain video loop straight through by default; motion photos play like a phone capture.</summary>
    public LoopMode LoopFor(OutputFormat format) => Loop ?? (format is OutputFormat.Motion or OutputFormat.Live ? LoopMode.PingPong : LoopMode.Forward);
}

/// <summary>What was written (one main file per format, plus companions such as a Live Photo's .MOV, .zip and .pvt), and which formats could not be.</summary>
public sealed record WrittenOutputs(IReadOnlyDictionary<OutputFormat, string> Files, IReadOnlyDictionary<OutputFormat, string> Failures)
{
    /// <summary>The Live Photo's files as its writer returned them, when one was written.</summary>
    public LivePhotoFiles? Live { get; init; }

    /// <summary>Files written beside the main ones: a Live Photo's .MOV, .zip and .pvt.</summary>
    public IReadOnlyList<string> Companions => Live is null ? [] : [Live.Movie, Live.Zip, Live.Package];

    /// <summary>Default formats this machine cannot write, with the reason (not a failure).</summary>
    public IReadOnlyDictionary<OutputFormat, string> Skipped { get; init; } = new Dictionary<OutputFormat, string>();

    /// <summary>Metadata of the photo left out of the still (unreadable or over a parsing limit); not a failure.</summary>
    public IReadOnlyList<MetadataNote> MetadataNotes { get; init; } = [];
}

/// <summary>
/// Frames + the person's photo + options in, files out. Knows nothing about engines.
/// <para>
/// The work of one call runs concurrently where it is independent: the still's preparation (decode, thumbnail, maker
/// note) while ffmpeg encodes; the GIF and WebP writers while the encodes run; the plain MP4's encode beside the
/// phone video's (two ffmpeg processes). Each format still succeeds or fails on its own: a shared step that fails
/// (the still, one encode) fails exactly the formats that need it, with its message. Every file is the same whatever
/// the order in which the work finishes, and the call returns only once all of it has ended — on cancellation too,
/// with every ffmpeg killed (a GIF or WebP already being written is finished, never left half-written).
/// </para>
/// </summary>
public sealed class OutputWriter(FfmpegEncoder ffmpeg)
{
    /// <summary>The long side of an iPhone Live Photo movie (1440×1080); within the 1920 a phone video may have.</summary>
    public const int MaxVideoLongSide = 1440;

    /// <param name="formatEnded">Told each format as it ends (written, failed or skipped), from whichever thread ended it; the writing stage's progress.</param>
    public async Task<WrittenOutputs> WriteAsync(byte[] photo, IReadOnlyList<RgbImage> frames, int fps, string directory, string baseName, OutputOptions options, CancellationToken cancellationToken, Action<OutputFormat>? formatEnded = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        cancellationToken.ThrowIfCancellationRequested();
        var work = new Work(ffmpeg, photo, frames, fps, options, cancellationToken);
        var outcomes = options.Formats.Select(format => Ended(work.WriteAsync(format, directory, baseName), formatEnded)).ToList();
        try
        {
            await Task.WhenAll(outcomes);
        }
        finally
        {
            // Nothing outlives the call: shared steps that no format waited for to the end (after a cancel) are over too.
            await work.WhenAllEnded();
        }

        var files = new Dictionary<OutputFormat, string>();
        var failures = new Dictionary<OutputFormat, string>();
        var skipped = new Dictionary<OutputFormat, string>();
        LivePhotoFiles? livePhoto = null;
        foreach (var outcome in outcomes.Select(task => task.Result))
        {
            switch (outcome)
            {
                case FormatResult.Written written:
                    files[written.Format] = written.File;
                    livePhoto ??= written.Live;
                    break;
                case FormatResult.Skipped skip:
                    skipped[skip.Format] = skip.Reason;
                    break;
                case FormatResult.Failed failed:
                    failures[failed.Format] = failed.Reason;
                    break;
            }
        }

        return new WrittenOutputs(files, failures) { Live = livePhoto, Skipped = skipped, MetadataNotes = work.StillNotes };
    }

    private static async Task<FormatResult> Ended(Task<FormatResult> writing, Action<OutputFormat>? formatEnded)
    {
        var outcome = await writing;
        formatEnded?.Invoke(outcome.Format);
        return outcome;
    }

    /// <summary>
    /// Phone video size: the still's aspect ratio, long side at most 1440 (phone-like, and more would only upscale frames
    /// that are about 1024 wide) and at most twice the engine's frames, even dimensions.
    /// </summary>
    public static (int Width, int Height) VideoSize(int stillWidth, int stillHeight, int frameWidth, int frameHeight)
    {
        var longSide = Math.Min(MaxVideoLongSide, Math.Min(2 * Math.Max(frameWidth, frameHeight), Math.Max(stillWidth, stillHeight)));
        var scale = (double)longSide / Math.Max(stillWidth, stillHeight);
        return (Even(stillWidth * scale), Even(stillHeight * scale));
    }

    /// <summary>
    /// The plain MP4's size: the engine's own pixels, centre-cropped to the photo's aspect ratio and never scaled up
    /// (even dimensions, rounded down). It is a plain video, so it carries what the engine made and nothing invented —
    /// the phone videos, by contrast, are sized like a phone's.
    /// </summary>
    public static (int Width, int Height) PlainVideoSize(int stillWidth, int stillHeight, int frameWidth, int frameHeight)
    {
        var (width, height) = FfmpegEncoder.CropToAspect(frameWidth, frameHeight, stillWidth, stillHeight);
        return (Math.Max(2, width / 2 * 2), Math.Max(2, height / 2 * 2));
    }

    /// <summary>The size the still will have: the photo's header size with its EXIF orientation applied (no decode).</summary>
    private static (int Width, int Height) UprightSize(byte[] photo)
    {
        using var image = new MagickImage();
        image.Ping(photo);
        return image.Orientation is Orientation.LeftTop or Orientation.RightTop or Orientation.LeftBottom or Orientation.RightBottom
            ? ((int)image.Height, (int)image.Width)
            : ((int)image.Width, (int)image.Height);
    }

    /// <summary>
    /// The Motion Photo's file name: Google's <c>IMG_&lt;date&gt;_&lt;time&gt;_MP.jpg</c> with the photo's own capture time (its
    /// Exif DateTimeOriginal, as the phone's clock read it) and its name, or <c>&lt;name&gt;_MP.jpg</c> when it has no capture
    /// time — never the time of the conversion, so converting the same photo again replaces the same file.
    /// </summary>
    public static string MotionPhotoName(string baseName, CaptureTime? captured) => captured is { } time
        ? $"IMG_{time.Local.ToString("yyyyMMdd_HHmmss", System.Globalization.CultureInfo.InvariantCulture)}_{baseName}_MP.jpg"
        : $"{baseName}_MP.jpg";

    private static int Even(double value) => Math.Max(2, (int)Math.Round(value / 2) * 2);

    /// <summary>
    /// One call's work: the shared steps, each started once on first need and awaited by every format that needs it
    /// (the upright size of the photo, the prepared still, one phone-video encode per loop mode), and one task per format.
    /// </summary>
    private sealed class Work(FfmpegEncoder ffmpeg, byte[] photo, IReadOnlyList<RgbImage> frames, int fps, OutputOptions options, CancellationToken cancellationToken)
    {
        private readonly Lock gate = new();
        private readonly List<Task> started = [];
        private readonly Dictionary<LoopMode, Task<(Dictionary<string, byte[]> Videos, double StillSeconds)>> phoneVideos = [];
        private Task<(int Width, int Height)>? uprightSize;
        private Task<PreparedStill>? still;
        private Task<RgbSpace>? space;
        private SrgbFrames? srgbFrames;
        private readonly List<MetadataNote> heicNotes = [];
        private bool? heicStill;

        public async Task<FormatResult> WriteAsync(OutputFormat format, string directory, string baseName)
        {
            // Start what this format needs before waiting for anything, so the shared steps and the other formats
            // overlap. An animation starts at once and is always finished (it takes no token): a cancel never leaves
            // one half-written, and the encodes it overlaps with are the part a cancel stops.
            Task<string>? animation = format switch
            {
                OutputFormat.Gif => Animation(format, GifWriter.Write, Path.Combine(directory, baseName + ".gif")),
                OutputFormat.WebP => Animation(format, WebPWriter.Write, Path.Combine(directory, baseName + ".webp")),
                _ => null,
            };
            if (format is OutputFormat.Live or OutputFormat.Motion)
            {
                if (format == OutputFormat.Motion || !UsesHeicStillOrFailure())
                {
                    _ = Still();
                }

                _ = PhoneVideo(options.LoopFor(format));
            }

            await Task.Yield(); // the caller starts every format before any of them runs far
            try
            {
                if (animation is not null)
                {
                    return new FormatResult.Written(format, await animation);
                }

                cancellationToken.ThrowIfCancellationRequested();
                switch (format)
                {
                    case OutputFormat.Mp4:
                    {
                        var (stillWidth, stillHeight) = await UprightSize();
                        var (width, height) = PlainVideoSize(stillWidth, stillHeight, frames[0].Width, frames[0].Height);
                        var srgb = await Interpolated(LoopSequence.Build(await SrgbFrames(), options.LoopFor(format)), fps, options.LoopFor(format));
                        var mp4 = await ffmpeg.EncodeAsync(srgb.Clip.Frames, srgb.Factor > 1 ? ClipInterpolation.TargetFps : fps, null, "mp4", width, height, cancellationToken);
                        cancellationToken.ThrowIfCancellationRequested();
                        var path = Path.Combine(directory, baseName + ".mp4");
                        AtomicFile.WriteAllBytes(path, mp4);
                        return new FormatResult.Written(format, path);
                    }

                    default:
                    {
                        var (phoneVideo, stillSeconds) = await PhoneVideo(options.LoopFor(format));
                        cancellationToken.ThrowIfCancellationRequested();
                        if (format == OutputFormat.Live && UsesHeicStill() && HeicLiveStill() is { } heic)
                        {
                            var heicLive = LivePhotoWriter.WriteHeic(heic, phoneVideo["mov"], stillSeconds, directory, baseName.ToUpperInvariant());
                            return new FormatResult.Written(format, heicLive.Still, heicLive);
                        }

                        var prepared = await Still();
                        cancellationToken.ThrowIfCancellationRequested();
                        if (format == OutputFormat.Motion)
                        {
                            var path = Path.Combine(directory, MotionPhotoName(baseName, ExifWriter.CaptureTime(prepared.Jpeg)));
                            MotionPhotoWriter.Write(prepared, phoneVideo["mp4"], (long)Math.Round(stillSeconds * 1e6), path, options.SamsungTrailer);
                            return new FormatResult.Written(format, path);
                        }

                        var live = LivePhotoWriter.Write(prepared.Jpeg, prepared.Width, prepared.Height, phoneVideo["mov"], stillSeconds, directory, baseName.ToUpperInvariant(), gainMap: prepared.GainMap);
                        return new FormatResult.Written(format, live.Still, live);
                    }
                }
            }
            catch (FfmpegUnavailableException ex) when (!options.FormatsRequested)
            {
                return new FormatResult.Skipped(format, ex.Message);
            }
            catch (Exception ex) when (ex is FfmpegUnavailableException or FfmpegFailedException or AppleStillUnavailableException or Heif.HeifFormatException)
            {
                return new FormatResult.Failed(format, ex.Message);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Whatever one writer cannot handle in one photo (odd metadata, a JPEG cut short) costs that format
                // only: the other formats are still written and the caller reports this one as failed.
                return new FormatResult.Failed(format, $"{ex.Message} ({ex.GetType().Name})");
            }
        }

        /// <summary>What the prepared still left out of the photo's metadata (nothing when no still was prepared).</summary>
        public IReadOnlyList<MetadataNote> StillNotes
        {
            get
            {
                lock (gate)
                {
                    return [.. still is { IsCompletedSuccessfully: true } prepared ? prepared.Result.Notes : [], .. heicNotes];
                }
            }
        }

        /// <summary>Waits for every shared step that was started, whatever it came to (each format has seen its own result).</summary>
        public Task WhenAllEnded()
        {
            lock (gate)
            {
                return Task.WhenAll(started).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }

        /// <summary>A GIF or WebP of this format's loop in sRGB, written on the thread pool; the task gives its path.</summary>
        private Task<string> Animation(OutputFormat format, Action<IReadOnlyList<RgbImage>, double, string> write, string path) => Task.Run(async () =>
        {
            write(LoopSequence.Build(await SrgbFrames(), options.LoopFor(format)).Frames, fps, path);
            return path;
        }, CancellationToken.None);

        /// <summary>The working space of the frames, read from the photo as the decoder read it (no token: animations need it to finish).</summary>
        private Task<RgbSpace> Space()
        {
            lock (gate)
            {
                return space ??= Start(() => Task.Run(() => WorkingSpace.Of(photo), CancellationToken.None));
            }
        }

        /// <summary>The frames as sRGB, for the formats that are shown as sRGB (MP4, GIF, WebP): converted once, shared.</summary>
        private async Task<IReadOnlyList<RgbImage>> SrgbFrames()
        {
            if (await Space() == RgbSpace.Srgb)
            {
                return frames;
            }

            lock (gate)
            {
                return srgbFrames ??= new SrgbFrames(frames);
            }
        }

        private Task<(int Width, int Height)> UprightSize()
        {
            lock (gate)
            {
                return uprightSize ??= Start(() => Task.Run(() => OutputWriter.UprightSize(photo), cancellationToken));
            }
        }

        private Task<PreparedStill> Still()
        {
            lock (gate)
            {
                // The token keeps a cancelled job from starting the still's metadata work; once started, the parsers
                // run to their end (their limits bound them) and the server stops waiting for them.
                return still ??= Start(() => Task.Run(() => StillPhoto.Prepare(photo, options.StripMetadata), cancellationToken));
            }
        }

        /// <summary>Whether the Live Photo's still is the HEIC photo itself (<see cref="AppleStillChoice.UsesHeic"/>); an unusable choice throws for the Live Photo only.</summary>
        private bool UsesHeicStill()
        {
            lock (gate)
            {
                return heicStill ??= AppleStillChoice.UsesHeic(photo, options);
            }
        }

        /// <summary>Like <see cref="UsesHeicStill"/>, but true (no JPEG still is started) where the choice is unusable: the Live Photo then fails inside its own try.</summary>
        private bool UsesHeicStillOrFailure()
        {
            try
            {
                return UsesHeicStill();
            }
            catch (AppleStillUnavailableException)
            {
                return true;
            }
        }

        /// <summary>
        /// The HEIC still, made on the calling thread (it copies the photo's items; no decode). With AppleStill=auto a
        /// HEIC we cannot edit (a construction method or layout we do not carry over) falls back to the JPEG still
        /// with a note; with AppleStill=heic it fails the Live Photo with the reason.
        /// </summary>
        private HeicStill? HeicLiveStill()
        {
            try
            {
                var made = LivePhotoHeicStill.Make(photo, Guid.NewGuid().ToString("D").ToUpperInvariant());
                lock (gate)
                {
                    heicNotes.AddRange(made.Notes);
                }

                return made;
            }
            catch (Heif.HeifFormatException ex) when (options.AppleStill == AppleStill.Auto)
            {
                lock (gate)
                {
                    heicNotes.Add(new MetadataNote(MetadataPart.HeifItems, $"the Live Photo still is a JPEG: the HEIC could not be carried over ({ex.Message})"));
                }

                return null;
            }
        }

        /// <summary>
        /// Live and motion photos share one encode when they share a loop mode: phone-capture timing (1.5–3 s), each
        /// frame played once, written by one ffmpeg run as the MOV and/or the MP4 they need, at the still's aspect
        /// ratio, in the frames' own space (Display P3 stays P3, as a phone's video does).
        /// </summary>
        private Task<(Dictionary<string, byte[]> Videos, double StillSeconds)> PhoneVideo(LoopMode loop)
        {
            lock (gate)
            {
                if (!phoneVideos.TryGetValue(loop, out var encode))
                {
                    encode = Start(async () =>
                    {
                        var containers = options.Formats
                            .Where(f => f is OutputFormat.Live or OutputFormat.Motion && options.LoopFor(f) == loop)
                            .Select(f => f == OutputFormat.Live ? "mov" : "mp4")
                            .ToList();
                        var looped = LoopSequence.Build(frames, loop);
                        var (clip, factor) = await Interpolated(looped, LivePhotoWriter.PlaybackFps(looped.Frames.Count, fps), loop);
                        var playbackFps = factor > 1 ? LivePhotoWriter.PlaybackFps(clip.Frames.Count, ClipInterpolation.TargetFps) : LivePhotoWriter.PlaybackFps(clip.Frames.Count, fps);
                        var (stillWidth, stillHeight) = await UprightSize();
                        var (width, height) = VideoSize(stillWidth, stillHeight, frames[0].Width, frames[0].Height);
                        var encoded = await ffmpeg.EncodeAsync(clip.Frames, playbackFps, null, containers, width, height, await Space(), cancellationToken);
                        return (containers.Zip(encoded).ToDictionary(pair => pair.First, pair => pair.Second), clip.StillIndex / playbackFps);
                    });
                    phoneVideos[loop] = encode;
                }

                return encode;
            }
        }

        /// <summary>The loop with frames made between its own by <see cref="OutputOptions.Interpolator"/>, off the caller's thread; as it is without one.</summary>
        private async Task<InterpolatedClip> Interpolated(LoopedClip clip, double playbackFps, LoopMode loop) =>
            options.Interpolator is { } interpolator
                ? await Task.Run(() => interpolator.Interpolate(clip, playbackFps, ClipInterpolation.HasSeam(loop), cancellationToken), cancellationToken)
                : new InterpolatedClip(clip, 1);

        private Task<T> Start<T>(Func<Task<T>> step)
        {
            var task = step();
            started.Add(task);
            return task;
        }
    }
}
