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

/// <summary>What a download run is about to fetch, for progress displays.</summary>
/// <param name="Name">What it is ("SVD model", "RIFE model").</param>
/// <param name="Pin">What the bytes are held to, in words ("at commit 0123…", "sha256 6615…").</param>
/// <param name="BytesPresent">Bytes already on disk (finished files and .part files).</param>
public sealed record DownloadPlan(string Name, string Pin, int Files, long TotalBytes, long BytesPresent);

/// <summary>Progress of a download run; called from several threads at once.</summary>
public interface IDownloadProgress
{
    /// <summary>The plan: how many files, how large, and how much of it is already on disk.</summary>
    void Planned(DownloadPlan plan);

    /// <summary>Bytes held for a file changed (negative when a bad copy is dropped).</summary>
    void Advanced(HubFile file, long delta);

    /// <summary>A file was verified and renamed into place.</summary>
    void Completed(HubFile file);
}
