namespace TurnLivePhotos.Hub;

/// <summary>Free space is too small for what remains to be fetched.</summary>
public sealed class NotEnoughSpaceException(string message) : Exception(message);

/// <summary>
/// Fetches a <see cref="DownloadRequest"/>: resolves the revision to one commit, lists the files with the tree API,
/// keeps the ones the request selects, records that plan in the folder's manifest, checks free disk space, and
/// fetches the missing files several at a time. A complete manifest with every file in place means nothing to do
/// (no request is made); an incomplete one resumes the commit it recorded.
/// </summary>
public sealed class ModelDownloader(HubClient client, Func<string, long>? freeSpace = null)
{
    private readonly FileDownloader files = new(client);
    private readonly Func<string, long> freeSpace = freeSpace ?? (folder => new DriveInfo(folder).AvailableFreeSpace);

    public async Task<DownloadResult> DownloadAsync(DownloadRequest request, IDownloadProgress? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var existing = DownloadManifest.Read(request.Destination);
        var endpoint = request.Repository.Endpoint.ToString();
        if (existing is not null && existing.Repository == request.Repository.RepoId && existing.Revision == request.Revision && existing.IsInPlace(request.Destination))
        {
            return new DownloadResult(existing, 0, 0, AlreadyComplete: true);
        }

        DownloadManifest manifest;
        if (existing is not null && !existing.Complete && existing.Repository == request.Repository.RepoId && existing.Revision == request.Revision)
        {
            manifest = existing with { Endpoint = endpoint };
        }
        else
        {
            var commit = await client.GetCommitAsync(request.Repository, request.Revision, cancellationToken);
            var listing = await client.ListFilesAsync(request.Repository, commit, cancellationToken);
            var byPath = listing.ToDictionary(file => file.Path, StringComparer.Ordinal); // the listing holds each path once
            var chosen = request.Select(listing.Select(file => file.Path).ToList());
            foreach (var path in chosen)
            {
                if (!HubListing.IsSafeRelativePath(path) || !byPath.ContainsKey(path))
                {
                    throw new HubException($"{request.Repository}: refusing the file path \"{path}\"");
                }
            }

            manifest = new DownloadManifest(endpoint, request.Repository.RepoId, request.Revision, commit, chosen.Select(path => byPath[path]).ToList(), Complete: false);
        }

        manifest.Write(request.Destination);

        var pending = new List<HubFile>();
        long present = 0;
        foreach (var file in manifest.Files)
        {
            var target = Target(request, file);
            if (new FileInfo(target) is { Exists: true } done && done.Length == file.Size)
            {
                present += file.Size;
                continue;
            }

            pending.Add(file);
            if (new FileInfo(FileDownloader.PartPath(target)) is { Exists: true } part)
            {
                present += Math.Min(part.Length, file.Size);
            }
        }

        var needed = manifest.TotalBytes - present;
        var free = freeSpace(request.Destination);
        if (needed > free)
        {
            throw new NotEnoughSpaceException($"{request.Name} needs {Gigabytes(needed)} more but {request.Destination} has {Gigabytes(free)} free");
        }

        progress?.Planned(new DownloadPlan(request.Name, $"at commit {manifest.Commit}", manifest.Files.Count, manifest.TotalBytes, present));
        long fetched = 0;
        await Parallel.ForEachAsync(
            pending.OrderByDescending(file => file.Size),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, client.Options.Connections), CancellationToken = cancellationToken },
            async (file, token) =>
            {
                await files.DownloadAsync(request.Repository, manifest.Commit, file, Target(request, file), delta =>
                {
                    Interlocked.Add(ref fetched, delta);
                    progress?.Advanced(file, delta);
                }, token);
                progress?.Completed(file);
            });

        var complete = manifest with { Complete = true };
        complete.Write(request.Destination);
        return new DownloadResult(complete, pending.Count, fetched, AlreadyComplete: false);
    }

    /// <summary>Re-hashes every file the manifest lists; returns one line per file that does not match.</summary>
    public static async Task<IReadOnlyList<string>> VerifyAsync(string folder, DownloadManifest manifest, Action<HubFile>? checkedFile, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var problems = new List<string>();
        foreach (var file in manifest.Files)
        {
            if (await FileDownloader.CheckAsync(Path.Combine(folder, file.Path), file, cancellationToken) is { } problem)
            {
                problems.Add($"{file.Path}: {problem}");
            }

            checkedFile?.Invoke(file);
        }

        return problems;
    }

    public static string Gigabytes(long bytes) => bytes >= 1e9 ? $"{bytes / 1e9:0.00} GB" : $"{bytes / 1e6:0.0} MB";

    private static string Target(DownloadRequest request, HubFile file) => Path.Combine(request.Destination, file.Path.Replace('/', Path.DirectorySeparatorChar));
}
