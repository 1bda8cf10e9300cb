using System.Text.RegularExpressions;

namespace TurnLivePhotos.Media.Formats;

/// <summary>
/// The files a conversion under one base name writes, as <see cref="OutputWriter"/> and <see cref="LivePhotoWriter"/>
/// name them (NAME.gif/.webp/.mp4, NAME-upper.JPG/.HEIC/.MOV/.zip/.pvt, [IMG_date_time_]NAME_MP.jpg), so a caller can
/// tell whether writing under that name would replace something and pick another (convert --no-overwrite).
/// </summary>
public static class OutputNames
{
    /// <summary>
    /// The first of <paramref name="stem"/>, STEM-2, STEM-3, … for which <paramref name="isFree"/> holds and none of
    /// <paramref name="formats"/> has a file or folder in <paramref name="directory"/>: one suffix for every format
    /// of the photo, so the Live Photo's still and movie keep matching names.
    /// </summary>
    public static string FirstFree(string directory, string stem, IEnumerable<OutputFormat> formats, Func<string, bool> isFree)
    {
        ArgumentNullException.ThrowIfNull(isFree);
        var wanted = formats.ToList();
        var existing = Directory.Exists(directory)
            ? Directory.EnumerateFileSystemEntries(directory).Select(Path.GetFileName).OfType<string>().ToList()
            : [];
        for (var n = 1; ; n++)
        {
            var candidate = n == 1 ? stem : $"{stem}-{n}";
            if (isFree(candidate) && !existing.Any(name => wanted.Any(format => Belongs(name, candidate, format))))
            {
                return candidate;
            }
        }
    }

    /// <summary>Whether <paramref name="fileName"/> is one <paramref name="format"/> writes for <paramref name="baseName"/> (case ignored: the file systems of phones and Macs ignore it).</summary>
    public static bool Belongs(string fileName, string baseName, OutputFormat format)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        return format switch
        {
            OutputFormat.Gif => Is(fileName, baseName + ".gif"),
            OutputFormat.WebP => Is(fileName, baseName + ".webp"),
            OutputFormat.Mp4 => Is(fileName, baseName + ".mp4"),
            OutputFormat.Live => new[] { ".JPG", ".HEIC", ".MOV", ".zip", ".pvt" }.Any(extension => Is(fileName, baseName.ToUpperInvariant() + extension)),
            OutputFormat.Motion => Is(fileName, OutputWriter.MotionPhotoName(baseName, null))
                || Regex.IsMatch(fileName, $@"^IMG_[0-9]{{8}}_[0-9]{{6}}_{Regex.Escape(baseName)}_MP\.jpg$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)),
            _ => false,
        };
    }

    private static bool Is(string fileName, string expected) => string.Equals(fileName, expected, StringComparison.OrdinalIgnoreCase);
}
