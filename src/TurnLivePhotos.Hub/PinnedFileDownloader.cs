namespace TurnLivePhotos.Hub;

/// <summary>
/// One file at a plain URL (a release asset or a mirror of it), held to a SHA-256 and, when known, a size.
/// </summary>
/// <param name="Name">What it is, for messages ("RIFE model").</param>
/// <param name="Sha256">Lower-case hex; the download is renamed into place only when its bytes hash to it.</param>
/// <param name="Size">Bytes; null takes the server's Content-Length (up to <see cref="PinnedFileDownloader.MaxUnpinnedBytes"/>).</param>
/// <param name="Destination">The file's final path; the partial copy is <c>Destination.part</c> beside it.</param>
public sealed record PinnedFile(string Name, Uri Url, string Sha256, long? Size, string Destination);

/// <summary>What a pinned download did.</summary>
public sealed record PinnedFileResult(HubFile File, long BytesFetched, bool AlreadyComplete);

/// <summary>
/// Fetches a <see cref="PinnedFile"/> with the hub downloads' <see cref="FileDownloader"/> (Range resume, size and
/// SHA-256 checked while writing, renamed into place only when both match). A file already at the destination is kept
/// when it matches and refused, never overwritten, when it does not: it may be a model someone placed by hand.
/// </summary>
public sealed class PinnedFileDownloader(HubClient client, Func<string, long>? freeSpace = null)
{
    /// <summary>The largest file taken on the server's word when no size is pinned.</summary>
    public const long MaxUnpinnedBytes = 2L << 30;

    private readonly FileDownloader files = new(client);
    private readonly Func<string, long> freeSpace = freeSpace ?? (folder => new DriveInfo(folder).AvailableFreeSpace);

    /// <exception cref="HubException">The URL fails, the server gives no usable size, or another file is in the way.</exception>
    /// <exception cref="HashMismatchException">The bytes are not the pinned file; nothing is left on disk.</exception>
    /// <exception cref="NotEnoughSpaceException">The destination's disk cannot hold what remains.</exception>
    public async Task<PinnedFileResult> DownloadAsync(PinnedFile pinned, IDownloadProgress? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pinned);
        var name = Path.GetFileName(pinned.Destination);
        if (File.Exists(pinned.Destination))
        {
            var present = new HubFile(name, pinned.Size ?? new FileInfo(pinned.Destination).Length, pinned.Sha256, null);
            return await FileDownloader.CheckAsync(pinned.Destination, present, cancellationToken) is { } problem
                ? throw new HubException($"{pinned.Name}: {pinned.Destination} is already there and is not the file asked for ({problem}); move it away to download it")
                : new PinnedFileResult(present, 0, AlreadyComplete: true);
        }

        var size = pinned.Size ?? await AnnouncedSizeAsync(pinned.Url, cancellationToken);
        var file = new HubFile(name, size, pinned.Sha256, null);
        var folder = Path.GetDirectoryName(Path.GetFullPath(pinned.Destination))!;
        Directory.CreateDirectory(folder);
        var part = new FileInfo(FileDownloader.PartPath(pinned.Destination));
        var have = part.Exists ? Math.Min(part.Length, size) : 0;
        if (size - have > freeSpace(folder))
        {
            throw new NotEnoughSpaceException($"{pinned.Name} needs {ModelDownloader.Gigabytes(size - have)} more but {folder} has {ModelDownloader.Gigabytes(freeSpace(folder))} free");
        }

        progress?.Planned(new DownloadPlan(pinned.Name, $"sha256 {pinned.Sha256}", 1, size, have));
        long fetched = 0;
        await files.DownloadAsync(pinned.Url, file, pinned.Destination, delta =>
        {
            fetched += delta;
            progress?.Advanced(file, delta);
        }, cancellationToken);
        progress?.Completed(file);
        return new PinnedFileResult(file, fetched, AlreadyComplete: false);
    }

    /// <summary>The size the server gives when none is pinned, bounded so a wrong URL cannot fill the disk.</summary>
    private async Task<long> AnnouncedSizeAsync(Uri url, CancellationToken cancellationToken)
    {
        var announced = await client.GetLengthAsync(url, cancellationToken)
            ?? throw new HubException($"{url} does not say how large the file is (no Content-Length), so the download could not be checked against a size; use a URL that gives one");
        return announced <= MaxUnpinnedBytes
            ? announced
            : throw new HubException($"{url} announces {ModelDownloader.Gigabytes(announced)}, more than the {ModelDownloader.Gigabytes(MaxUnpinnedBytes)} taken without a pinned size");
    }
}
