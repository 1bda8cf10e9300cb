using System.Diagnostics;
using Microsoft.Extensions.Logging;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Media;
using TurnLivePhotos.Media.Decoding;
using TurnLivePhotos.Media.Formats;

namespace TurnLivePhotos.Core.Conversion;

/// <summary>One photo to turn into motion: its bytes, the parameters, the outputs wanted and where they go (folder + base name).</summary>
public sealed record ConversionRequest(byte[] Photo, MotionParameters Parameters, EngineKind Engine, string OutputDirectory, string BaseName)
{
    public OutputOptions Outputs { get; init; } = new();
}

/// <summary>What a conversion wrote — the writers' own typed result, unchanged — and which engine made the frames, how many and how fast.</summary>
public sealed record ConversionResult(
    WrittenOutputs Written,
    string EngineName,
    bool IsGenerative,
    string EngineReason,
    int FrameCount,
    TimeSpan Elapsed)
{
    /// <summary>Why the clip was not brought to 30 fps though it could be (auto without the RIFE model); null otherwise.</summary>
    public string? InterpolationNote { get; init; }

    /// <summary>One main file per format written.</summary>
    public IReadOnlyDictionary<OutputFormat, string> Files => Written.Files;

    /// <summary>Formats that could not be written (e.g. video without ffmpeg), with the reason.</summary>
    public IReadOnlyDictionary<OutputFormat, string> Failures => Written.Failures;

    /// <summary>Files written alongside the main ones (a Live Photo's .MOV, .zip and .pvt).</summary>
    public IReadOnlyList<string> Companions => Written.Companions;

    /// <summary>Default formats that could not be written here (e.g. video without ffmpeg), with the reason.</summary>
    public IReadOnlyDictionary<OutputFormat, string> Skipped => Written.Skipped;

    /// <summary>Metadata of the photo that was unreadable or over a parsing limit and was left out of the still.</summary>
    public IReadOnlyList<MetadataNote> MetadataNotes => Written.MetadataNotes;
}

/// <summary>Photo bytes in, output files out: decode, pick an engine, generate frames, write every format atomically.</summary>
/// <param name="budget">How large a photo may be decoded (<c>[InputOptions] MaxMegapixels</c>, <c>MaxSidePixels</c>).</param>
public sealed class PhotoConverter(EngineCatalog engines, DecodeBudget budget, ILogger<PhotoConverter> logger, FfmpegEncoder? ffmpeg = null)
{
    private readonly OutputWriter writer = new(ffmpeg ?? new FfmpegEncoder());

    public EngineCatalog Engines => engines;

    /// <exception cref="UnsupportedPhotoException">The bytes are not a photo we can read.</exception>
    /// <exception cref="PhotoTooLargeException">Too many pixels.</exception>
    /// <exception cref="EngineUnavailableException">The requested engine cannot run here.</exception>
    /// <exception cref="EngineException">The engine failed.</exception>
    public Task<ConversionResult> ConvertAsync(ConversionRequest request, IProgress<MotionProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return ConvertAsync(request, engines.Resolve(request.Engine), progress, cancellationToken);
    }

    /// <summary>Converts with an engine already chosen (the server's queue picks it first, to know which engine's lane to wait in).</summary>
    public async Task<ConversionResult> ConvertAsync(ConversionRequest request, EngineChoice choice, IProgress<MotionProgress>? progress, CancellationToken cancellationToken)
    {
        long pixels = 0;
        try
        {
            return await ConvertPhotoAsync(request, choice, progress, held => pixels = held, cancellationToken);
        }
        finally
        {
            LargePhotoMemory.ReleaseAfter(pixels); // the photo's and frames' buffers are unreachable here, past ConvertPhotoAsync
        }
    }

    /// <param name="decoded">Told the pixels held: the photo's once decoded, the photo's and the frames' once written.</param>
    private async Task<ConversionResult> ConvertPhotoAsync(ConversionRequest request, EngineChoice choice, IProgress<MotionProgress>? progress, Action<long> decoded, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(choice);
        var clock = Stopwatch.StartNew();
        if (choice.Engine.IsGenerative)
        {
            engines.Interpolation.ThrowIfDemandedAndMissing(); // before minutes of AI work, not after
        }

        var photo = PhotoDecoder.Decode(request.Photo, budget);
        decoded((long)photo.Image.Width * photo.Image.Height);
        logger.LogInformation(
            "Generating {Frames} frames at {Fps} fps from a {Width}x{Height} {Format} with the {Engine} engine ({Reason})",
            request.Parameters.Frames, request.Parameters.Fps, photo.Image.Width, photo.Image.Height, photo.Format, choice.Engine.Name, choice.Reason);

        var clip = await RunEngineAsync(choice.Engine, request.Parameters.ToRequest(photo.Image), progress, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        // Interpolating and writing overlap: their steps reach the caller only while the whole job's share grows.
        var afterEngine = new ForwardOnly(progress);
        var (interpolator, interpolationNote) = await InterpolationAsync(clip, afterEngine);
        if (interpolationNote is not null)
        {
            logger.LogInformation("Frames play as made: {Note}", interpolationNote);
        }

        var outputs = request.Outputs with { Interpolator = interpolator };

        // An engine may hand over frames still being made: writing starts at once and takes each frame as it comes.
        // The writing stage counts formats ended of formats asked for, once every frame is made (before that the engine's stage runs).
        var writingProgress = new WritingProgress(interpolator is null ? progress : afterEngine, outputs.Formats.Count);
        var writing = writer.WriteAsync(request.Photo, clip.Frames, clip.Fps, request.OutputDirectory, request.BaseName, outputs, cancellationToken, _ => writingProgress.FormatEnded());
        await FramesMadeAsync(choice.Engine, clip, writing);
        writingProgress.Begin();
        var written = await writing;
        decoded(((long)photo.Image.Width * photo.Image.Height) + clip.Frames.Sum(frame => (long)frame.Width * frame.Height));

        logger.LogInformation("Wrote {Files} in {Elapsed:0.0} s", string.Join(", ", written.Files.Values), clock.Elapsed.TotalSeconds);
        foreach (var (format, reason) in written.Failures)
        {
            logger.LogWarning("Could not write {Format}: {Reason}", format, reason);
        }

        foreach (var note in written.MetadataNotes)
        {
            logger.LogWarning("Left out of the still: {Note}", note);
        }

        return new ConversionResult(written, clip.EngineName, clip.IsGenerative, choice.Reason, clip.Frames.Count, clock.Elapsed) { InterpolationNote = interpolationNote };
    }

    /// <summary>The "write" stage: step k of n formats ended; silent until <see cref="Begin"/>, so it never runs ahead of the engine's stage.</summary>
    private sealed class WritingProgress(IProgress<MotionProgress>? progress, int formats)
    {
        private readonly Lock gate = new();
        private int ended;
        private bool begun;

        public void Begin()
        {
            lock (gate)
            {
                begun = true;
                progress?.Report(new MotionProgress("write", ended, formats));
            }
        }

        public void FormatEnded()
        {
            lock (gate)
            {
                ended++;
                if (begun)
                {
                    progress?.Report(new MotionProgress("write", ended, formats));
                }
            }
        }
    }

    /// <summary>Passes on only the steps that do not take the job's overall share back (the last "write" step always goes).</summary>
    private sealed class ForwardOnly(IProgress<MotionProgress>? progress) : IProgress<MotionProgress>
    {
        private readonly Lock gate = new();
        private double reached;

        public void Report(MotionProgress value)
        {
            lock (gate)
            {
                if (value.OverallFraction >= reached)
                {
                    reached = value.OverallFraction;
                    progress?.Report(value);
                }
            }
        }
    }

    /// <summary>
    /// Waits until the engine has made every frame. If it failed or was cancelled instead, the writer (whose formats
    /// then fail for want of frames) is waited for too, so no encoder outlives the job, and the engine's failure is
    /// the one reported.
    /// </summary>
    private static async Task FramesMadeAsync(IMotionEngine engine, MotionClip clip, Task writing)
    {
        try
        {
            await clip.Completion;
        }
        catch (Exception ex)
        {
            try
            {
                await writing;
            }
            catch (Exception)
            {
                // The writer failed because the frames did not come; the engine's exception says why.
            }

            if (ex is OperationCanceledException)
            {
                throw;
            }

            throw Failure(engine, ex);
        }
    }

    private static EngineException Failure(IMotionEngine engine, Exception ex) => ex switch
    {
        EngineException engineFailure => engineFailure,
        OutOfMemoryException => new EngineOutOfMemoryException($"the {engine.Name} engine ran out of memory", ex),
        _ => new EngineException($"the {engine.Name} engine failed: {ex.Message}", ex),
    };

    /// <summary>RIFE for the writer when the clip needs it; if the model cannot be opened, the engine's frames end before that is reported.</summary>
    private async Task<(IClipInterpolator? Interpolator, string? Note)> InterpolationAsync(MotionClip clip, IProgress<MotionProgress>? progress)
    {
        try
        {
            return engines.Interpolation.For(clip, progress);
        }
        catch (EngineException)
        {
            await clip.Completion.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw;
        }
    }

    private static async Task<MotionClip> RunEngineAsync(IMotionEngine engine, MotionRequest request, IProgress<MotionProgress>? progress, CancellationToken cancellationToken)
    {
        try
        {
            return await engine.GenerateAsync(request, progress, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not EngineException)
        {
            throw Failure(engine, ex);
        }
    }
}
