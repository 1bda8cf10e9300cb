using System.Text.RegularExpressions;

namespace TurnLivePhotos.Server.Jobs;

/// <summary>Where the server writes results: every job (POST /generate's included) in its own folder below this one.</summary>
public sealed partial class OutputLocation(string directory)
{
    public string Directory { get; } = Path.GetFullPath(directory);

    /// <summary>
    /// GIFs that <c>POST /generate</c> of earlier versions wrote straight into this folder (named by local date, time
    /// and a short random id, e.g. 20260101-120000-0a1b2c3d.gif) and never deleted; retention expires them by age.
    /// Only that exact name is matched, so nothing else a person keeps here is touched.
    /// </summary>
    public IEnumerable<FileInfo> LegacyGenerateResults() =>
        System.IO.Directory.Exists(Directory)
            ? new DirectoryInfo(Directory).EnumerateFiles("*.gif").Where(file => LegacyName().IsMatch(file.Name))
            : [];

    [GeneratedRegex(@"^\d{8}-\d{6}-[0-9a-f]{8}\.gif$")]
    private static partial Regex LegacyName();
}
