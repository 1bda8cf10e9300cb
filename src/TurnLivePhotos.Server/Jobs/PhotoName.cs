namespace TurnLivePhotos.Server.Jobs;

/// <summary>
/// The name a job's files are given, from the uploaded photo's file name (multipart <c>filename</c>): its last path
/// segment without the extension, as <c>convert</c> names its outputs after the photo's file, so an upload of
/// <c>lakeside.heic</c> gives <c>lakeside.gif</c>, <c>LAKESIDE.JPG</c>/<c>.MOV</c> and <c>IMG_&lt;capture&gt;_lakeside_MP.jpg</c>
/// (<see cref="TurnLivePhotos.Media.Formats.OutputWriter.MotionPhotoName"/>). The name comes from the client, so it is
/// only ever a file name inside the job's own folder: letters, digits, <c>-</c>, <c>_</c>, <c>.</c> and spaces are kept,
/// anything else (separators, control characters, reserved characters of Windows) becomes <c>_</c>. A name longer
/// than <see cref="MaxLength"/> is not one a person gave a photo (phones and cameras stay far below), and one with no
/// letter or digit left says nothing: both become <see cref="Fallback"/>.
/// </summary>
public static class PhotoName
{
    public const string Fallback = "photo";

    public const int MaxLength = 80;

    public static string FromUpload(string? fileName)
    {
        if (string.IsNullOrWhiteSpace(fileName))
        {
            return Fallback;
        }

        // Both separators count: a browser on Windows may send C:\Users\…\lakeside.jpg.
        var last = fileName[(fileName.LastIndexOfAny(['/', '\\']) + 1)..];
        var dot = last.LastIndexOf('.');
        var stem = dot > 0 ? last[..dot] : last;
        // No leading dot (a hidden file, or "..") and no trailing dot or space (Windows drops them).
        var safe = new string(stem.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' or ' ' ? c : '_').ToArray()).Trim(' ', '.');
        return safe.Length <= MaxLength && safe.Any(char.IsLetterOrDigit) ? safe : Fallback;
    }
}
