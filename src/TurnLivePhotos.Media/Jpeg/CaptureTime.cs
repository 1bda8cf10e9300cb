namespace TurnLivePhotos.Media.Jpeg;

/// <summary>
/// When a photo was taken, as far as the photo says: Exif DateTimeOriginal (the camera's clock) and, only when the
/// photo records it, OffsetTimeOriginal (its UTC offset). Nothing is filled in: a photo without an offset has none
/// here, rather than this machine's zone.
/// </summary>
public sealed record CaptureTime(DateTime Local, TimeSpan? Offset)
{
    /// <summary>The instant, when the offset is known.</summary>
    public DateTimeOffset? Instant => Offset is { } offset ? new DateTimeOffset(DateTime.SpecifyKind(Local, DateTimeKind.Unspecified), offset) : null;
}
