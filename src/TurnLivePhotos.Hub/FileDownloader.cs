using System.Buffers;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace TurnLivePhotos.Hub;

/// <summary>A fetched file whose bytes do not hash to what the hub lists; its partial copy has been deleted.</summary>
public sealed class HashMismatchException(string message) : Exception(message);

/// <summary>
/// Fetches one file into <c>NAME.part</c>, resuming from what is already there with an HTTP Range request, hashing
/// as it writes, and renames it into place only when size and hash match the hub's listing. Failures while the body
/// streams (a dropped connection, a stalled read, a hash mismatch) are retried by a Polly pipeline — each attempt
/// resumes from the bytes on disk, except after a mismatch, which starts the file over. Cancelling leaves the .part
/// file for the next run.
/// </summary>
public sealed class FileDownloader
{
    private const int BufferSize = 1 << 20;
    private readonly HubClient client;
    private readonly ResiliencePipeline pipeline;

    public FileDownloader(HubClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        this.client = client;
        pipeline = client.Options.RetryAttempts <= 0 ? ResiliencePipeline.Empty : new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder()
                    .Handle<IOException>()
                    .Handle<HttpRequestException>()
                    .Handle<TimeoutRejectedException>()
                    .Handle<TimeoutException>()
                    .Handle<HashMismatchException>(),
                MaxRetryAttempts = client.Options.RetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = client.Options.RetryDelay,
            })
            .Build();
    }

    public static string PartPath(string destination) => destination + ".part";

    /// <param name="progress">Called with the change in bytes held for this file (negative when a bad copy is dropped).</param>
    public async Task DownloadAsync(HubRepository repository, string commit, HubFile file, string destination, Action<long> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(progress);
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        var part = PartPath(destination);
        try
        {
            await pipeline.ExecuteAsync(async token => await FetchAsync(repository, commit, file, part, progress, token), cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException or TimeoutRejectedException or TimeoutException or HashMismatchException)
        {
            throw new HubException($"{repository}: {file.Path} could not be fetched after {client.Options.RetryAttempts} retries ({ex.Message.ReplaceLineEndings(" ")}); run the command again to resume", ex);
        }

        File.Move(part, destination, overwrite: true);
    }

    /// <summary>Checks a file on disk against its listing; null when it matches, else what is wrong.</summary>
    public static async Task<string?> CheckAsync(string path, HubFile file, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            return "missing";
        }

        if (info.Length != file.Size)
        {
            return $"{info.Length} bytes instead of {file.Size}";
        }

        using var hash = NewHash(file);
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.SequentialScan);
        await HashStreamAsync(stream, hash, _ => { }, cancellationToken);
        var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
        return Expected(file) is { } expected && actual != expected ? $"hash {actual} instead of {file.Check}" : null;
    }

    private async ValueTask FetchAsync(HubRepository repository, string commit, HubFile file, string part, Action<long> progress, CancellationToken cancellationToken)
    {
        using var hash = NewHash(file);
        long have = 0;
        if (File.Exists(part))
        {
            have = new FileInfo(part).Length;
            if (have > file.Size)
            {
                File.Delete(part);
                progress(-have);
                have = 0;
            }
            else if (have > 0)
            {
                await using var existing = new FileStream(part, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.SequentialScan);
                await HashStreamAsync(existing, hash, _ => { }, cancellationToken);
            }
        }

        if (have < file.Size)
        {
            using var answer = await client.GetFileAsync(repository, commit, file.Path, have, cancellationToken);
            if (file.Sha256 is { } listed && answer.LinkedEtag is { Length: 64 } etag && !etag.Equals(listed, StringComparison.OrdinalIgnoreCase))
            {
                throw new HubException($"{repository}: {file.Path}: the hub's X-Linked-Etag {etag} differs from the tree's sha256 {listed}");
            }

            var response = answer.Response;
            if (have > 0 && response.StatusCode != HttpStatusCode.PartialContent)
            {
                // The server ignored the Range: start over from its full answer.
                progress(-have);
                have = 0;
                hash.GetHashAndReset();
                RestartHash(hash, file);
                File.Delete(part);
            }
            else if (have > 0 && response.Content.Headers.ContentRange?.From is { } start && start != have)
            {
                throw new IOException($"asked for bytes from {have}, got a range from {start}");
            }

            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            await using var output = new FileStream(part, FileMode.Append, FileAccess.Write, FileShare.None, bufferSize: 0);
            var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
            try
            {
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                while (true)
                {
                    idle.CancelAfter(client.Options.IdleTimeout);
                    int read;
                    try
                    {
                        read = await body.ReadAsync(buffer.AsMemory(0, BufferSize), idle.Token);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        throw new TimeoutException($"no data for {client.Options.IdleTimeout.TotalSeconds:0} s");
                    }

                    if (read == 0)
                    {
                        break;
                    }

                    if (have + read > file.Size)
                    {
                        throw new IOException($"the hub sent more than the listed {file.Size} bytes");
                    }

                    await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                    hash.AppendData(buffer, 0, read);
                    have += read;
                    progress(read);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        if (have != file.Size)
        {
            throw new IOException($"the connection ended after {have} of {file.Size} bytes");
        }

        var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (Expected(file) is { } expected && actual != expected)
        {
            File.Delete(part);
            progress(-have);
            throw new HashMismatchException($"{file.Path}: the bytes hash to {actual}, the hub lists {file.Check}");
        }
    }

    private static string? Expected(HubFile file) => file.Sha256 ?? file.GitOid;

    /// <summary>SHA-256 for LFS files; git's blob hash (SHA-1 over "blob SIZE\0" and the bytes) for files kept in git.</summary>
    private static IncrementalHash NewHash(HubFile file)
    {
        var hash = IncrementalHash.CreateHash(file.Sha256 is null && file.GitOid is not null ? HashAlgorithmName.SHA1 : HashAlgorithmName.SHA256);
        RestartHash(hash, file);
        return hash;
    }

    private static void RestartHash(IncrementalHash hash, HubFile file)
    {
        if (file.Sha256 is null && file.GitOid is not null)
        {
            hash.AppendData(Encoding.ASCII.GetBytes($"blob {file.Size}\0"));
        }
    }

    private static async Task HashStreamAsync(Stream stream, IncrementalHash hash, Action<int> progress, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                progress(read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
