using TurnLivePhotos.Media.Formats;

namespace TurnLivePhotos.Server.Web;

/// <summary>How each format is served by <c>GET /api/v1/jobs/{id}/files/{format}</c>: the format's name in the URL and its content type.</summary>
public static class Downloads
{
    /// <summary>A Live Photo downloads as its .zip (the JPG and MOV together); every other format as its one file.</summary>
    public static string ContentType(OutputFormat format) => format switch
    {
        OutputFormat.Live => "application/zip",
        OutputFormat.Motion => "image/jpeg",
        OutputFormat.Mp4 => "video/mp4",
        OutputFormat.Gif => "image/gif",
        OutputFormat.WebP => "image/webp",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };
}
