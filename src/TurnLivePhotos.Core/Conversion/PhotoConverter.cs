using System.Diagnostics;
using Microsoft.Extensions.Logging;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Media.Decoding;
using TurnLivePhotos.Media.Formats;

namespace TurnLivePhotos.Core.Conversion;

public enum OutputFormat
{
    Gif,
}

/// <summary>One photo to turn into motion: its bytes, the parameters, and where the outputs go (folder + base name).</summary>
public sealed record ConversionRequest(byte[] Photo, MotionParameters Parameters, EngineKind Engine, string OutputDirectory, string BaseName);

public sealed record ConversionResult(
    IReadOnlyDictionary<OutputFormat, string> Files,
    string EngineName,
    bool IsGenerative,
    string EngineReason,
    int FrameCount,
    TimeSpan Elapsed);

/// <summary>Photo bytes in, output files out: decode, pick an engine, generate frames, write every format atomically.</summary>
public sealed class PhotoConverter(EngineCatalog engines, long maxPixels, ILogger<PhotoConverter> logger)
{
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
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(choice);
        var clock = Stopwatch.StartNew();
        var photo = PhotoDecoder.Decode(request.Photo, maxPixels);
        logger.LogInformation(
            "Generating {Frames} frames at {Fps} fps from a {Width}x{Height} {Format} with the {Engine} engine ({Reason})",
            request.Parameters.Frames, request.Parameters.Fps, photo.Image.Width, photo.Image.Height, photo.Format, choice.Engine.Name, choice.Reason);

        var clip = await RunEngineAsync(choice.Engine, new MotionRequest(photo.Image, request.Parameters), progress, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();

        progress?.Report(new MotionProgress("write", 0, 1));
        var gifPath = Path.Combine(request.OutputDirectory, request.BaseName + ".gif");
        GifWriter.Write(clip.Frames, clip.Fps, gifPath);
        progress?.Report(new MotionProgress("write", 1, 1));

        logger.LogInformation("Wrote {Path} in {Elapsed:0.0} s", gifPath, clock.Elapsed.TotalSeconds);
        return new ConversionResult(
            new Dictionary<OutputFormat, string> { [OutputFormat.Gif] = gifPath },
            clip.EngineName,
            clip.IsGenerative,
            choice.Reason,
            clip.Frames.Count,
            clock.Elapsed);
    }

    private static async Task<MotionClip> RunEngineAsync(IMotionEngine engine, MotionRequest request, IProgress<MotionProgress>? progress, CancellationToken cancellationToken)
    {
        try
        {
            return await engine.GenerateAsync(request, progress, cancellationToken);
        }
        catch (OutOfMemoryException ex)
        {
            throw new EngineOutOfMemoryException($"the {engine.Name} engine ran out of memory", ex);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not EngineException)
        {
            throw new EngineException($"the {engine.Name} engine failed: {ex.Message}", ex);
        }
    }
}
