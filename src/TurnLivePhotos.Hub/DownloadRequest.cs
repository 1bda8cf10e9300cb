namespace TurnLivePhotos.Hub;

/// <summary>
/// One thing to fetch: which repository (at which revision), which of its files, and the folder they go to. The
/// SVD pipeline's folder is one request; another model — a single UNet file from another repository, a depth
/// model's folder — is one more request with its own <see cref="Select"/>.
/// </summary>
/// <param name="Name">What it is, for messages ("SVD model", "depth model").</param>
/// <param name="Select">Given every path in the repository, the paths to fetch.</param>
public sealed record DownloadRequest(string Name, HubRepository Repository, string Revision, string Destination, Func<IReadOnlyList<string>, IReadOnlyList<string>> Select);

/// <summary>What a download run did.</summary>
public sealed record DownloadResult(DownloadManifest Manifest, int FilesFetched, long BytesFetched, bool AlreadyComplete);

/// <summary>Progress of a download run; called from several threads at once.</summary>
public interface IDownloadProgress
{
    /// <summary>The plan: every file, and how many bytes of them are already on disk (finished files and .part files).</summary>
    void Planned(DownloadRequest request, DownloadManifest manifest, long bytesPresent);

    /// <summary>Bytes held for a file changed (negative when a bad copy is dropped).</summary>
    void Advanced(HubFile file, long delta);

    /// <summary>A file was verified and renamed into place.</summary>
    void Completed(HubFile file);
}
