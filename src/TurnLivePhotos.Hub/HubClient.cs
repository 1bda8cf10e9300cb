using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace TurnLivePhotos.Hub;

/// <summary>How hard the client tries. The defaults suit a slow or flaky line to a real hub; tests shorten the delays.</summary>
public sealed record HubClientOptions
{
    /// <summary>Files fetched at once (one connection each).</summary>
    public int Connections { get; init; } = 4;

    /// <summary>Retries of one request (5xx, 408, 429 honouring Retry-After, refused or reset connections, timeouts; not a name that does not resolve or a network with no route); 0: none.</summary>
    public int RetryAttempts { get; init; } = 6;

    /// <summary>First backoff delay; it doubles on every retry (with jitter).</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long one attempt may take to answer with its headers.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a body may send nothing before the connection counts as dropped (and the file resumes).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>The response to a file request, with what the hub said about the file on the first hop (before any CDN redirect).</summary>
public sealed record HubFileResponse(HttpResponseMessage Response, string? LinkedEtag, long? LinkedSize, string? RepoCommit) : IDisposable
{
    public void Dispose() => Response.Dispose();
}

/// <summary>
/// Talks to a hub: <c>GET /api/models/{repo}/revision/{rev}</c> (the commit a revision points at),
/// <c>GET /api/models/{repo}/tree/{commit}?recursive=true</c> (every file with size and LFS SHA-256, paged by
/// Link headers) and <c>GET /{repo}/resolve/{commit}/{path}</c> (the bytes; LFS files redirect to a CDN, and the
/// first answer carries X-Linked-Etag / X-Linked-Size / X-Repo-Commit).
/// Requests go through Microsoft.Extensions.Http.Resilience: retries with exponential backoff and jitter on 5xx,
/// 408, 429 (Retry-After honoured) and connection failures, and a timeout per attempt. Redirects are followed here,
/// not by the handler, so the token is sent only to the hub itself and never to the CDN host it redirects to.
/// </summary>
public sealed class HubClient : IDisposable
{
    private const int MaxRedirects = 10;
    private readonly HttpClient http;
    private readonly HubToken? token;

    public HubClient(HubClientOptions options, HubToken? token)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        this.token = token;
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage>();
        if (options.RetryAttempts > 0)
        {
            builder.AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = options.RetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryDelay,
                ShouldRetryAfterHeader = true,

                // An offline machine (no name resolution, no route) is told so at once rather than after a minute of backoff.
                ShouldHandle = arguments => ValueTask.FromResult(
                    HttpClientResiliencePredicates.IsTransient(arguments.Outcome) && !HubUnreachable.IsOffline(arguments.Outcome.Exception)),
            });
        }

        var pipeline = builder.AddTimeout(new HttpTimeoutStrategyOptions { Timeout = options.AttemptTimeout }).Build();
        var sockets = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            MaxConnectionsPerServer = Math.Max(options.Connections, 2) * 2,
            ConnectTimeout = options.AttemptTimeout,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        };
        http = new HttpClient(new ResilienceHandler(pipeline) { InnerHandler = sockets })
        {
            Timeout = Timeout.InfiniteTimeSpan, // per attempt (headers) above, per read while streaming in FileDownloader
        };
        http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("turn-live-photos", "1.0"));
    }

    public HubClientOptions Options { get; }

    public HubToken? Token => token;

    /// <summary>The commit a revision (branch, tag or commit) points at now.</summary>
    public async Task<string> GetCommitAsync(HubRepository repository, string revision, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        var uri = repository.RevisionApi(revision);
        using var response = await SendAsync(repository, uri, from: null, cancellationToken);
        var what = $"{repository}: the revision API's answer for \"{revision}\"";
        using var document = await HubListing.ReadJsonAsync(response, what, cancellationToken);
        return HubListing.ParseCommit(document.RootElement, what);
    }

    /// <summary>Every file of the repository at a commit (directories left out), each entry checked (<see cref="HubListing"/>).</summary>
    public async Task<IReadOnlyList<HubFile>> ListFilesAsync(HubRepository repository, string commit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        var files = new Dictionary<string, HubFile>(StringComparer.Ordinal);
        var seen = new HashSet<Uri>();
        Uri? page = repository.TreeApi(commit);
        while (page is not null)
        {
            if (!seen.Add(page) || seen.Count > HubListing.MaxPages)
            {
                throw new HubException($"{repository}: the tree API's pages {(seen.Count > HubListing.MaxPages ? $"go on past {HubListing.MaxPages}" : "link back to one already read")}");
            }

            using var response = await SendAsync(repository, page, from: null, cancellationToken);
            var what = $"{repository}: the tree API's page {seen.Count}";
            using var document = await HubListing.ReadJsonAsync(response, what, cancellationToken);
            HubListing.AddTreePage(document.RootElement, what, files);
            page = NextPage(response, page);
        }

        return [.. files.Values];
    }

    /// <summary>A file's bytes from <paramref name="from"/> on (a Range request when above zero), redirects followed.</summary>
    public async Task<HubFileResponse> GetFileAsync(HubRepository repository, string commit, string path, long from, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        string? etag = null;
        long? size = null;
        string? repoCommit = null;
        var response = await SendAsync(repository, repository.Resolve(commit, path), from, cancellationToken, first =>
        {
            etag = Header(first, "X-Linked-Etag") ?? first.Headers.ETag?.Tag;
            size = long.TryParse(Header(first, "X-Linked-Size"), out var linked) ? linked : null;
            repoCommit = Header(first, "X-Repo-Commit");
        });
        return new HubFileResponse(response, etag?.Trim('"').Replace("W/", string.Empty, StringComparison.Ordinal), size, repoCommit);
    }

    /// <summary>
    /// A file's bytes at a plain URL (a release asset, a mirror) from <paramref name="from"/> on, redirects followed, with
    /// the same retries and timeouts as the hub's requests; the hub token is never sent.
    /// </summary>
    public async Task<HubFileResponse> GetUrlAsync(Uri url, long from, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        return new HubFileResponse(await SendAsync(null, url, from, cancellationToken), null, null, null);
    }

    /// <summary>
    /// The size of the file at a plain URL, asked with a one-byte GET (<c>Range: bytes=0-0</c>; a HEAD would not do, as a
    /// release asset's signed redirect is signed for GET): a 206's Content-Range total, or a 200's Content-Length (its
    /// body unread). Null when the server names neither.
    /// </summary>
    public async Task<long?> GetLengthAsync(Uri url, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        using var response = await SendAsync(null, url, from: 0, cancellationToken, to: 0);
        return response.StatusCode == HttpStatusCode.PartialContent ? response.Content.Headers.ContentRange?.Length : response.Content.Headers.ContentLength;
    }

    public void Dispose() => http.Dispose();

    /// <summary>
    /// One request with its redirects; a non-success final answer becomes a <see cref="HubException"/>. Without a
    /// repository the request is for a plain URL: no token, and messages name the URL.
    /// </summary>
    /// <param name="to">The last byte wanted (a closed range from <paramref name="from"/>); null: to the end.</param>
    private async Task<HttpResponseMessage> SendAsync(HubRepository? repository, Uri uri, long? from, CancellationToken cancellationToken, Action<HttpResponseMessage>? firstHop = null, long? to = null)
    {
        var current = uri;
        for (var hop = 0; hop <= MaxRedirects; hop++)
        {
            if (current.Scheme != Uri.UriSchemeHttps && current.Scheme != Uri.UriSchemeHttp)
            {
                // A redirect or a next-page link may lead to the hub's CDN, never to a local file or another protocol.
                throw new HubException($"{(object?)repository ?? uri}: {uri.AbsolutePath} leads to a {current.Scheme}: URL; only http(s) is followed");
            }

            using var request = new HttpRequestMessage(HttpMethod.Get, current);
            if (from is > 0 || to is not null)
            {
                request.Headers.Range = new RangeHeaderValue(from ?? 0, to);
            }

            if (token is not null && repository is not null && IsHub(repository, current))
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Value);
            }

            var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (hop == 0)
            {
                firstHop?.Invoke(response);
            }

            if ((int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } location)
            {
                response.Dispose();
                current = location.IsAbsoluteUri ? location : new Uri(current, location);
                continue;
            }

            if (response.IsSuccessStatusCode)
            {
                return response;
            }

            using (response)
            {
                throw repository is null ? UrlFailure(uri, current, response) : Failure(repository, current, response);
            }
        }

        throw new HubException($"{(object?)repository ?? uri}: more than {MaxRedirects} redirects for {uri.AbsolutePath}");
    }

    private HubException UrlFailure(Uri asked, Uri answered, HttpResponseMessage response)
    {
        var status = (int)response.StatusCode;
        var where = asked == answered ? string.Empty : $" (redirected to {answered.GetLeftPart(UriPartial.Path)})";
        return status == 404
            ? new HubException($"{asked} was not found (404){where}; check the URL")
            : new HubException($"{asked} answered {status} {response.ReasonPhrase}{where}{(status >= 500 || status is 408 or 429 ? $" after {Options.RetryAttempts} retries" : string.Empty)}");
    }

    private HubException Failure(HubRepository repository, Uri uri, HttpResponseMessage response)
    {
        var status = (int)response.StatusCode;
        if (status is 401 or 403)
        {
            var given = token is null
                ? "no token was given"
                : $"the {token} was refused";
            return new HubException(
                $"{repository.RepoId} is gated ({status}, {given}): accept its licence at {repository.ModelPage} while logged in, then give a read token " +
                "via [InstallationOptions] HubToken, the HF_TOKEN variable, or the hub client's login (token file)");
        }

        if (status == 404)
        {
            return new HubException($"{repository}: {uri.AbsolutePath} was not found (404); check [InstallationOptions] ModelRepositoryUrl and the revision");
        }

        return new HubException($"{repository}: {uri.GetLeftPart(UriPartial.Authority)}{uri.AbsolutePath} answered {status} {response.ReasonPhrase} after {Options.RetryAttempts} retries");
    }

    private static bool IsHub(HubRepository repository, Uri uri) =>
        Uri.Compare(repository.Endpoint, uri, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    /// <summary>The tree API pages long listings with <c>Link: &lt;url&gt;; rel="next"</c>.</summary>
    private static Uri? NextPage(HttpResponseMessage response, Uri current)
    {
        if (!response.Headers.TryGetValues("Link", out var links))
        {
            return null;
        }

        foreach (var link in links.SelectMany(value => value.Split(',')))
        {
            var parts = link.Split(';', StringSplitOptions.TrimEntries);
            if (parts.Length >= 2 && parts.Skip(1).Any(p => p.Replace(" ", string.Empty, StringComparison.Ordinal) is "rel=\"next\"" or "rel=next") && parts[0].StartsWith('<') && parts[0].EndsWith('>'))
            {
                var target = parts[0][1..^1];
                return Uri.TryCreate(target, UriKind.Absolute, out var absolute) ? absolute
                    : Uri.TryCreate(current, target, out var relative) ? relative
                    : throw new HubException($"the tree API's next-page link \"{target}\" is not a URL");
            }
        }

        return null;
    }
}
