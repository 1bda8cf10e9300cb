using TurnLivePhotos.Engine;
using TurnLivePhotos.Media.Decoding;

namespace TurnLivePhotos.Core.Conversion;

/// <summary>Why a conversion failed, as far as whoever asked for it needs to know.</summary>
public enum FailureKind
{
    UnsupportedPhoto,
    PhotoTooLarge,
    EngineUnavailable,
    OutOfMemory,

    /// <summary>Anything else: the server's own fault; the details belong in the log, not with a client.</summary>
    Internal,
}

/// <summary>
/// The one mapping from a conversion's exception to what a remote client is told: the photo's own problems in the
/// decoder's words, the engine's in fixed words (no paths, no internals). The HTTP status for each kind is the
/// server's business (<c>RequestError</c>); a failed job stores the message.
/// </summary>
public sealed record ConversionFailure(FailureKind Kind, string Message)
{
    public static ConversionFailure Of(Exception error) => error switch
    {
        UnsupportedPhotoException => new(FailureKind.UnsupportedPhoto, error.Message),
        PhotoTooLargeException => new(FailureKind.PhotoTooLarge, error.Message),
        EngineUnavailableException => new(FailureKind.EngineUnavailable, "the configured engine is not available on this server"),
        EngineOutOfMemoryException => new(FailureKind.OutOfMemory, "the engine ran out of memory; try again later"),
        _ => new(FailureKind.Internal, "generation failed; the details are in the server log"),
    };
}
