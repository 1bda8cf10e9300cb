namespace TurnLivePhotos.Media.Formats;

/// <summary>What one format of a conversion came to: written, skipped (a default this machine cannot write), or failed — each with what goes with it.</summary>
public abstract record FormatResult(OutputFormat Format)
{
    /// <summary>The format's main file; a Live Photo also has its writer's files.</summary>
    public sealed record Written(OutputFormat Format, string File, LivePhotoFiles? Live = null) : FormatResult(Format);

    /// <summary>Not written, and not a failure: a default format this machine cannot write (video without ffmpeg).</summary>
    public sealed record Skipped(OutputFormat Format, string Reason) : FormatResult(Format);

    /// <summary>Not written; the reason is one readable line.</summary>
    public sealed record Failed(OutputFormat Format, string Reason) : FormatResult(Format);
}
