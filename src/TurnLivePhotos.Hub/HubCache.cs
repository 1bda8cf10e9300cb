namespace TurnLivePhotos.Hub;

/// <summary>A model found in a Hugging Face cache: the snapshot folder of one commit.</summary>
public sealed record CachedSnapshot(string CacheRoot, string RepoId, string Commit, string Folder);

/// <summary>
/// The cache huggingface_hub (and so diffusers) fills: <c>models--ORG--NAME/snapshots/&lt;commit&gt;/…</c> with files
/// linked to <c>blobs/&lt;etag&gt;</c>, and <c>refs/main</c> holding the commit "main" pointed at when last fetched.
/// The root is HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub (XDG_CACHE_HOME respected). Models
/// found here are used in place, never copied.
/// </summary>
public static class HubCache
{
    public static string Root(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return environment("HF_HUB_CACHE") is { Length: > 0 } cache ? cache : Path.Combine(HubToken.HubHome(environment), "hub");
    }

    public static string RepoFolder(string cacheRoot, string repoId) => Path.Combine(cacheRoot, "models--" + repoId.Replace("/", "--", StringComparison.Ordinal));

    /// <summary>
    /// The snapshots of a repository, best first: the one refs/main names, then the others newest first. The
    /// caller picks the first that holds what it needs (a cache may hold a partial snapshot).
    /// </summary>
    public static IReadOnlyList<CachedSnapshot> Snapshots(string cacheRoot, string repoId)
    {
        var repo = RepoFolder(cacheRoot, repoId);
        var snapshots = Path.Combine(repo, "snapshots");
        if (!HubRepository.IsRepoId(repoId) || !Directory.Exists(snapshots))
        {
            return [];
        }

        var main = File.Exists(Path.Combine(repo, "refs", "main")) ? File.ReadAllText(Path.Combine(repo, "refs", "main")).Trim() : null;
        return Directory.EnumerateDirectories(snapshots)
            .Select(folder => new DirectoryInfo(folder))
            .OrderByDescending(folder => folder.Name == main)
            .ThenByDescending(folder => folder.LastWriteTimeUtc)
            .Select(folder => new CachedSnapshot(cacheRoot, repoId, folder.Name, folder.FullName))
            .ToList();
    }

    /// <summary>
    /// For a file in a snapshot: the SHA-256 its blob is named by (LFS files are stored under their sha256), or null
    /// when the file is not a link into blobs/ or the blob name is a git hash (small files).
    /// </summary>
    public static string? BlobSha256(string snapshotFile)
    {
        var info = new FileInfo(snapshotFile);
        var target = info.LinkTarget;
        if (target is null)
        {
            return null;
        }

        var name = Path.GetFileName(target);
        return name.Length == 64 && name.All(Uri.IsHexDigit) ? name.ToLowerInvariant() : null;
    }
}
