using System.Text.Json;
using System.Text.Json.Serialization;

namespace TurnLivePhotos.Hub;

/// <summary>
/// What a download fetched, written beside the files (<see cref="FileName"/>): the hub, the repository, the
/// revision asked for and the commit it was pinned to, and every file with its size and hash. A run that finds a
/// complete manifest and its files in place does nothing; an interrupted run resumes the same commit; model verify
/// re-hashes against it.
/// </summary>
public sealed record DownloadManifest(
    [property: JsonPropertyName("endpoint")] string Endpoint,
    [property: JsonPropertyName("repository")] string Repository,
    [property: JsonPropertyName("revision")] string Revision,
    [property: JsonPropertyName("commit")] string Commit,
    [property: JsonPropertyName("files")] IReadOnlyList<HubFile> Files,
    [property: JsonPropertyName("complete")] bool Complete)
{
    public const string FileName = ".hub-download.json";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public long TotalBytes => Files.Sum(file => file.Size);

    public static string PathIn(string folder) => System.IO.Path.Combine(folder, FileName);

    /// <summary>The manifest in a folder, or null when there is none or it cannot be read (then the download starts afresh).</summary>
    public static DownloadManifest? Read(string folder)
    {
        var path = PathIn(folder);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<DownloadManifest>(File.ReadAllBytes(path), Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Written to a temporary name and renamed, so a reader never sees half a manifest.</summary>
    public void Write(string folder)
    {
        Directory.CreateDirectory(folder);
        var path = PathIn(folder);
        var temporary = path + ".tmp";
        File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(this, Json));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Every file is in place with its recorded size (each was renamed into place only after its hash matched).</summary>
    public bool IsInPlace(string folder) =>
        Complete && Files.All(file => new FileInfo(System.IO.Path.Combine(folder, file.Path)) is { Exists: true } info && info.Length == file.Size);
}
