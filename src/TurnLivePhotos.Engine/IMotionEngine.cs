using TurnLivePhotos.Media.Imaging;

namespace TurnLivePhotos.Engine;

/// <summary>Turns one photo into the frames of a short clip. Implemented by the classic engine and, later, by SVD.</summary>
public interface IMotionEngine
{
    /// <summary>Short name used in settings, logs and the API ("classic", "svd").</summary>
    string Name { get; }

    /// <summary>True when the motion is made by a generative model; false for the non-AI classic engine.</summary>
    bool IsGenerative { get; }

    Task<MotionClip> GenerateAsync(MotionRequest request, IProgress<MotionProgress>? progress, CancellationToken cancellationToken);
}

public enum EngineKind
{
    Auto,
    Classic,
    Svd,
    Cinematic,
}

/// <summary>
/// One photo to animate: what every engine reads (<see cref="Clip"/>) and the parts only one engine reads — SVD's
/// <see cref="Sampling"/>, the cinematic engine's <see cref="Camera"/>. Built by <see cref="MotionParameters.ToRequest"/>.
/// </summary>
public sealed record MotionRequest(RgbImage Photo, ClipOptions Clip, SamplingOptions Sampling, CameraOptions Camera);

public sealed record MotionClip(IReadOnlyList<RgbImage> Frames, int Fps, string EngineName, bool IsGenerative)
{
    /// <summary>
    /// Done when every frame is made. An engine may return while its frames are still arriving
    /// (<see cref="ArrivingFrames"/>), so writing overlaps making; this then fails or is cancelled as the engine was.
    /// </summary>
    public Task Completion { get; init; } = Task.CompletedTask;
}

/// <summary>A progress event: which stage is running and how far it is (step of total, 1-based).</summary>
public sealed record MotionProgress(string Stage, int Step, int TotalSteps)
{
    /// <summary>Where each stage sits on a whole job's 0–1 scale; denoising dominates an SVD job.</summary>
    private static readonly Dictionary<string, (double Start, double End)> StageSpans = new()
    {
        ["encode"] = (0.00, 0.05),
        ["denoise"] = (0.05, 0.80),
        ["decode"] = (0.80, 0.90),
        ["animate"] = (0.00, 0.90),
        ["depth"] = (0.00, 0.30),
        ["render"] = (0.30, 0.90),
        ["interpolate"] = (0.90, 0.98), // RIFE's frames between the AI clip's, made while the formats are written
        ["write"] = (0.90, 1.00), // one step per format; a short job's writing is a visible share of it
    };

    /// <summary>Progress within this stage.</summary>
    public double Fraction => TotalSteps <= 0 ? 0 : Math.Clamp((double)Step / TotalSteps, 0, 1);

    /// <summary>Progress of the whole job, so one bar can follow every stage without going backwards.</summary>
    public double OverallFraction =>
        StageSpans.TryGetValue(Stage, out var span) ? span.Start + ((span.End - span.Start) * Fraction) : Fraction;

    public override string ToString() => $"{Stage} {Step}/{TotalSteps}";
}

/// <summary>The engine failed; the message is for the log, not for a web client.</summary>
public class EngineException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The engine ran out of memory; the job may succeed later or with smaller settings.</summary>
public sealed class EngineOutOfMemoryException(string message, Exception? inner = null) : EngineException(message, inner);

/// <summary>The requested engine cannot run here (no model folder, not in this build…).</summary>
public sealed class EngineUnavailableException(string message) : EngineException(message);
