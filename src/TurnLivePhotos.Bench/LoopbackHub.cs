using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace TurnLivePhotos.Bench;

/// <summary>Faults a <see cref="LoopbackHub"/> injects, each once, to show the downloader copes with a bad line.</summary>
public sealed record LoopbackHubFaults
{
    /// <summary>The first revision API call is answered 429 with this Retry-After (seconds).</summary>
    public int? TooManyRequestsRetryAfter { get; init; }

    /// <summary>The first request for each of these paths is answered 503.</summary>
    public IReadOnlySet<string> ServerErrorOnce { get; init; } = new HashSet<string>();

    /// <summary>The first transfer of each of these paths (a one-byte size probe aside) stops (connection aborted) halfway through.</summary>
    public IReadOnlySet<string> CutOnce { get; init; } = new HashSet<string>();

    /// <summary>The first complete transfer of each of these paths has one byte changed.</summary>
    public IReadOnlySet<string> CorruptOnce { get; init; } = new HashSet<string>();

    /// <summary>Bytes per second for file bodies (0: as fast as the machine goes); lets a test interrupt mid-file.</summary>
    public long BytesPerSecond { get; init; }
}

/// <summary>One request the loopback hub saw.</summary>
public sealed record LoopbackRequest(string Listener, string Path, string? Range, bool HadAuthorization, int Status);

/// <summary>
/// A Hugging Face-like hub on 127.0.0.1 serving one folder as a model repository, for tests and the download
/// benchmark (no internet). Two listeners: the hub (revision and tree API, resolve) and a "CDN" on another port
/// that resolve redirects LFS files to, as the real hub does. The hub answers like the real one where the
/// downloader relies on it: commit pinning, tree entries with git oid and LFS sha256, X-Linked-Etag /
/// X-Linked-Size / X-Repo-Commit on resolve, Range with 206, paging by Link headers, 401 for a gated repository
/// without the right Bearer token; and it can inject faults (<see cref="LoopbackHubFaults"/>). It also serves every
/// file as a release asset (<see cref="ReleaseAsset"/>), redirected to the CDN like a GitHub release download, never gated.
/// </summary>
public sealed class LoopbackHub : IAsyncDisposable
{
    private const int TreePageSize = 4;
    private const string ReleasePrefix = "/releases/download/";
    private const string AssetPrefix = "/assets/";
    private readonly WebApplication app;
    private readonly Dictionary<string, RepoEntry> files;
    private readonly Dictionary<string, RepoEntry> bySha;
    private readonly LoopbackHubFaults faults;
    private readonly string? requiredToken;
    private readonly ConcurrentQueue<LoopbackRequest> requests = new();
    private readonly ConcurrentDictionary<string, bool> faultsUsed = new();

    private LoopbackHub(WebApplication app, string repoId, Dictionary<string, RepoEntry> files, LoopbackHubFaults faults, string? requiredToken)
    {
        this.app = app;
        RepoId = repoId;
        this.files = files;
        bySha = files.Values.Where(f => f.Sha256 is not null).GroupBy(f => f.Sha256!).ToDictionary(g => g.Key, g => g.First());
        this.faults = faults;
        this.requiredToken = requiredToken;
        Commit = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(string.Join('\n', files.Values.OrderBy(f => f.Path, StringComparer.Ordinal).Select(f => f.Path + " " + f.GitOid)))));
    }

    public string RepoId { get; }

    public string Commit { get; }

    public Uri Endpoint { get; private set; } = null!;

    public Uri Cdn { get; private set; } = null!;

    /// <summary>The page URL a user would put in ModelRepositoryUrl.</summary>
    public Uri RepositoryUrl => new(Endpoint, RepoId);

    public IReadOnlyList<LoopbackRequest> Requests => [.. requests];

    /// <summary>A file of the folder as a release asset's URL: it answers 302 to the CDN, which serves it with Range and the faults.</summary>
    public Uri ReleaseAsset(string path) => new(Endpoint, ReleasePrefix.TrimStart('/') + path);

    /// <summary>Serves every file under <paramref name="folder"/>; *.safetensors files are LFS files (sha256, CDN redirect).</summary>
    public static async Task<LoopbackHub> StartAsync(string repoId, string folder, LoopbackHubFaults? faults = null, string? requiredToken = null)
    {
        var entries = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(path => RepoEntry.From(folder, path))
            .ToDictionary(entry => entry.Path, StringComparer.Ordinal);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0);
            kestrel.Listen(IPAddress.Loopback, 0);
        });
        var app = builder.Build();
        var hub = new LoopbackHub(app, repoId, entries, faults ?? new LoopbackHubFaults(), requiredToken);
        app.Run(hub.HandleAsync);
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.ToList();
        hub.Endpoint = new Uri(addresses[0].TrimEnd('/') + "/");
        hub.Cdn = new Uri(addresses[1].TrimEnd('/') + "/");
        return hub;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var onCdn = request.Host.Port == Cdn.Port;
        var path = Uri.UnescapeDataString(request.Path.Value ?? string.Empty);
        try
        {
            if (onCdn && path.StartsWith("/cdn/", StringComparison.Ordinal) && bySha.TryGetValue(path["/cdn/".Length..], out var blob))
            {
                await ServeBytesAsync(context, blob);
            }
            else if (onCdn && path.StartsWith(AssetPrefix, StringComparison.Ordinal) && files.TryGetValue(path[AssetPrefix.Length..], out var asset))
            {
                await ServeBytesAsync(context, asset);
            }
            else if (onCdn)
            {
                context.Response.StatusCode = 404;
            }
            else if (path.StartsWith(ReleasePrefix, StringComparison.Ordinal) && files.ContainsKey(path[ReleasePrefix.Length..]))
            {
                context.Response.StatusCode = 302;
                context.Response.Headers.Location = new Uri(Cdn, AssetPrefix.TrimStart('/') + path[ReleasePrefix.Length..]).ToString();
            }
            else if (requiredToken is not null && request.Headers.Authorization.ToString() != $"Bearer {requiredToken}")
            {
                context.Response.StatusCode = 401;
                context.Response.Headers["X-Error-Code"] = "GatedRepo";
                await context.Response.WriteAsync("Access to this model is restricted. You must have access to it and be authenticated.");
            }
            else if (path == $"/api/models/{RepoId}/revision/main" || path == $"/api/models/{RepoId}/revision/{Commit}")
            {
                if (faults.TooManyRequestsRetryAfter is { } seconds && faultsUsed.TryAdd("429", true))
                {
                    context.Response.StatusCode = 429;
                    context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
                else
                {
                    await context.Response.WriteAsJsonAsync(new Dictionary<string, object>
                    {
                        ["id"] = RepoId,
                        ["sha"] = Commit,
                        ["siblings"] = files.Keys.Order(StringComparer.Ordinal).Select(p => new Dictionary<string, string> { ["rfilename"] = p }).ToList(),
                    });
                }
            }
            else if (path == $"/api/models/{RepoId}/tree/{Commit}" && request.Query["recursive"] == "true")
            {
                await ServeTreeAsync(context);
            }
            else if (path.StartsWith($"/{RepoId}/resolve/{Commit}/", StringComparison.Ordinal) && files.TryGetValue(path[$"/{RepoId}/resolve/{Commit}/".Length..], out var file))
            {
                context.Response.Headers["X-Repo-Commit"] = Commit;
                if (faults.ServerErrorOnce.Contains(file.Path) && faultsUsed.TryAdd("503:" + file.Path, true))
                {
                    context.Response.StatusCode = 503;
                }
                else if (file.Sha256 is not null)
                {
                    context.Response.Headers["X-Linked-Etag"] = $"\"{file.Sha256}\"";
                    context.Response.Headers["X-Linked-Size"] = file.Size.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    context.Response.Headers.ETag = $"\"{file.GitOid}\"";
                    context.Response.StatusCode = 302;
                    context.Response.Headers.Location = new Uri(Cdn, $"cdn/{file.Sha256}").ToString();
                }
                else
                {
                    context.Response.Headers.ETag = $"\"{file.GitOid}\"";
                    await ServeBytesAsync(context, file);
                }
            }
            else
            {
                context.Response.StatusCode = 404;
            }
        }
        finally
        {
            requests.Enqueue(new LoopbackRequest(onCdn ? "cdn" : "hub", path, request.Headers.Range.ToString() is { Length: > 0 } range ? range : null, request.Headers.Authorization.Count > 0, context.Response.StatusCode));
        }
    }

    private async Task ServeTreeAsync(HttpContext context)
    {
        var all = files.Values.OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
        var folders = all.SelectMany(f => Parents(f.Path)).Distinct().Select(d => (object)new Dictionary<string, object> { ["type"] = "directory", ["oid"] = new string('0', 40), ["size"] = 0, ["path"] = d });
        var entries = folders.Concat(all.Select(f => (object)(f.Sha256 is null
            ? new Dictionary<string, object> { ["type"] = "file", ["oid"] = f.GitOid, ["size"] = f.Size, ["path"] = f.Path }
            : new Dictionary<string, object>
            {
                ["type"] = "file", ["oid"] = f.GitOid, ["size"] = f.Size, ["path"] = f.Path,
                ["lfs"] = new Dictionary<string, object> { ["oid"] = f.Sha256, ["size"] = f.Size, ["pointerSize"] = 134 },
            }))).ToList();
        var cursor = int.TryParse(context.Request.Query["cursor"], out var c) ? c : 0;
        var page = entries.Skip(cursor).Take(TreePageSize).ToList();
        if (cursor + TreePageSize < entries.Count)
        {
            context.Response.Headers["Link"] = $"<{new Uri(Endpoint, $"api/models/{RepoId}/tree/{Commit}?recursive=true&cursor={cursor + TreePageSize}")}>; rel=\"next\"";
        }

        await context.Response.WriteAsync(JsonSerializer.Serialize(page));
    }

    private static IEnumerable<string> Parents(string path)
    {
        for (var slash = path.IndexOf('/', StringComparison.Ordinal); slash > 0; slash = path.IndexOf('/', slash + 1))
        {
            yield return path[..slash];
        }
    }

    private async Task ServeBytesAsync(HttpContext context, RepoEntry file)
    {
        // A one-byte probe (how a downloader asks a plain URL for the size) is no transfer: the faults wait for the real one.
        var probe = context.Request.Headers.Range.ToString() == "bytes=0-0";
        var cut = !probe && faults.CutOnce.Contains(file.Path) && faultsUsed.TryAdd("cut:" + file.Path, true);
        var corrupt = !cut && faults.CorruptOnce.Contains(file.Path) && context.Request.Headers.Range.Count == 0 && faultsUsed.TryAdd("corrupt:" + file.Path, true);
        if (!cut && !corrupt && faults.BytesPerSecond == 0)
        {
            // The plain path: ASP.NET Core's file result (Range with 206, sendfile).
            await Results.File(file.FullPath, "application/octet-stream", enableRangeProcessing: true).ExecuteAsync(context);
            return;
        }

        long from = 0;
        if (Microsoft.Net.Http.Headers.RangeHeaderValue.TryParse(context.Request.Headers.Range.ToString(), out var range) && range.Ranges.Count == 1 && range.Ranges.First().From is { } start && start < file.Size)
        {
            from = start;
            context.Response.StatusCode = 206;
            context.Response.Headers.ContentRange = $"bytes {from}-{file.Size - 1}/{file.Size}";
        }

        context.Response.ContentLength = file.Size - from;
        context.Response.ContentType = "application/octet-stream";
        await using var stream = File.OpenRead(file.FullPath);
        stream.Position = from;
        var buffer = new byte[64 * 1024];
        var stopAt = cut ? from + ((file.Size - from) / 2) : file.Size;
        var position = from;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (position < stopAt)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, stopAt - position)), context.RequestAborted);
            if (corrupt && position <= file.Size / 2 && file.Size / 2 < position + read)
            {
                buffer[file.Size / 2 - position] ^= 0x5A;
            }

            await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted);
            position += read;
            if (faults.BytesPerSecond > 0)
            {
                var ahead = TimeSpan.FromSeconds((double)(position - from) / faults.BytesPerSecond) - clock.Elapsed;
                if (ahead > TimeSpan.Zero)
                {
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                    await Task.Delay(ahead, context.RequestAborted);
                }
            }
        }

        if (cut)
        {
            await context.Response.Body.FlushAsync(context.RequestAborted);
            context.Abort();
        }
    }

    private sealed record RepoEntry(string Path, string FullPath, long Size, string GitOid, string? Sha256)
    {
        public static RepoEntry From(string root, string fullPath)
        {
            var relative = System.IO.Path.GetRelativePath(root, fullPath).Replace('\\', '/');
            var size = new FileInfo(fullPath).Length;
            using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
            using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            sha1.AppendData(Encoding.ASCII.GetBytes($"blob {size}\0"));
            using (var stream = File.OpenRead(fullPath))
            {
                var buffer = new byte[1 << 20];
                int read;
                while ((read = stream.Read(buffer)) > 0)
                {
                    sha1.AppendData(buffer, 0, read);
                    sha256.AppendData(buffer, 0, read);
                }
            }

            var isLfs = relative.EndsWith(".safetensors", StringComparison.Ordinal);
            return new RepoEntry(relative, fullPath, size, Convert.ToHexStringLower(sha1.GetHashAndReset()), isLfs ? Convert.ToHexStringLower(sha256.GetHashAndReset()) : null);
        }
    }
}
