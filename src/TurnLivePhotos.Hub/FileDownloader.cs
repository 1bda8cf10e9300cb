using System.Buffers;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace TurnLivePhotos.Hub;

/// <summary>A fetched file whose bytes do not hash to what the hub lists (or, for a pinned file, whose size or hash is not the pin's); its partial copy has been deleted.</summary>
public sealed class HashMismatchException(string message) : Exception(message);

/// <summary>
/// Fetches one file into <c>NAME.part</c>, resuming from what is already there with an HTTP Range request, hashing
/// as it writes, and renames it into place only when size and hash match the hub's listing (or a pinned file's size
/// and SHA-256, for a plain URL). Failures while the body streams (a dropped connection, a stalled read, a hash
/// mismatch from the hub) are retried by a Polly pipeline — each attempt resumes from the bytes on disk, except after
/// a mismatch, which starts the file over. Cancelling leaves the .part file for the next run.
/// </summary>
public sealed class FileDownloader
{
    private const int BufferSize = 1 << 20;
    private readonly HubClient client;
    private readonly ResiliencePipeline pipeline;
    private readonly ResiliencePipeline pipelineKeepingMismatch;

    public FileDownloader(HubClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        this.client = client;
        pipeline = Retries(client.Options, retryMismatch: true);
        pipelineKeepingMismatch = Retries(client.Options, retryMismatch: false);
    }

    public static string PartPath(string destination) => destination + ".part";

    /// <summary>A file of a hub repository at a commit, checked against the tree listing's size and hash.</summary>
    /// <param name="progress">Called with the change in bytes held for this file (negative when a bad copy is dropped).</param>
    public Task DownloadAsync(HubRepository repository, string commit, HubFile file, string destination, Action<long> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(file);
        var source = new Source($"{repository}: {file.Path}", file.Path, "the hub lists", Pinned: false, (from, token) => client.GetFileAsync(repository, commit, file.Path, from, token));
        return DownloadAsync(source, file, destination, progress, cancellationToken);
    }

    /// <summary>
    /// A file at a plain URL (a release asset), checked against the size and SHA-256 pinned in <paramref name="file"/>.
    /// A mismatch is not retried: a fixed URL that serves other bytes serves them again, so it fails at once, and a
    /// server announcing another size fails before its bytes are fetched.
    /// </summary>
    /// <exception cref="HashMismatchException">The bytes hash to something else; the .part file is deleted.</exception>
    public Task DownloadAsync(Uri url, HubFile file, string destination, Action<long> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(file);
        var source = new Source(url.ToString(), url.ToString(), "expected", Pinned: true, (from, token) => client.GetUrlAsync(url, from, token));
        return DownloadAsync(source, file, destination, progress, cancellationToken);
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

    private async Task DownloadAsync(Source source, HubFile file, string destination, Action<long> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(progress);
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        var part = PartPath(destination);
        try
        {
            var retries = source.Pinned ? pipelineKeepingMismatch : pipeline;
            await retries.ExecuteAsync(async token => await FetchAsync(source, file, part, progress, token), cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException or TimeoutRejectedException or TimeoutException || (ex is HashMismatchException && !source.Pinned))
        {
            throw new HubException($"{source.What} could not be fetched after {client.Options.RetryAttempts} retries ({ex.Message.ReplaceLineEndings(" ")}); run the command again to resume", ex);
        }

        File.Move(part, destination, overwrite: true);
    }

    private static ResiliencePipeline Retries(HubClientOptions options, bool retryMismatch)
    {
        if (options.RetryAttempts <= 0)
        {
            return ResiliencePipeline.Empty;
        }

        var handle = new PredicateBuilder()
            .Handle<IOException>()
            .Handle<HttpRequestException>()
            .Handle<TimeoutRejectedException>()
            .Handle<TimeoutException>();
        return new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = retryMismatch ? handle.Handle<HashMismatchException>() : handle,
                MaxRetryAttempts = options.RetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryDelay,
            })
            .Build();
    }

    private async ValueTask FetchAsync(Source source, HubFile file, string part, Action<long> progress, CancellationToken cancellationToken)
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
            using var answer = await source.Open(have, cancellationToken);
            if (file.Sha256 is { } listed && answer.LinkedEtag is { Length: 64 } etag && !etag.Equals(listed, StringComparison.OrdinalIgnoreCase))
            {
                throw new HubException($"{source.What}: the hub's X-Linked-Etag {etag} differs from the tree's sha256 {listed}");
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

            if (source.Pinned && AnnouncedSize(response) is { } announced && announced != file.Size)
            {
                File.Delete(part);
                progress(-have);
                throw new HashMismatchException($"{source.Name}: the server's file is {announced} bytes, not the expected {file.Size}");
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
                        throw new IOException($"the server sent more than the listed {file.Size} bytes");
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
            throw new HashMismatchException($"{source.Name}: the bytes hash to {actual}, {source.ListedBy} {file.Check}");
        }
    }

    /// <summary>Where a file's bytes come from, and how messages name it.</summary>
    /// <param name="What">The file in messages ("org/repo: unet/x.safetensors", or the URL).</param>
    /// <param name="Name">The file in a hash mismatch message.</param>
    /// <param name="ListedBy">Who set the expected hash, in words ("the hub lists").</param>
    /// <param name="Pinned">A fixed file at a plain URL: a wrong size or hash is final, not retried.</param>
    /// <param name="Open">The bytes from an offset on.</param>
    private sealed record Source(string What, string Name, string ListedBy, bool Pinned, Func<long, CancellationToken, Task<HubFileResponse>> Open);

    private static string? Expected(HubFile file) => file.Sha256 ?? file.GitOid;

    /// <summary>The whole file's size as the answer gives it: a 206's Content-Range total, else a 200's Content-Length.</summary>
    private static long? AnnouncedSize(HttpResponseMessage response) =>
        response.StatusCode == HttpStatusCode.PartialContent
            ? response.Content.Headers.ContentRange?.Length
            : response.Content.Headers.ContentLength;

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
