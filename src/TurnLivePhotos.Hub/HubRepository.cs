namespace TurnLivePhotos.Hub;

/// <summary>
/// One model repository on one hub: the endpoint (https://huggingface.co, a mirror such as https://hf-mirror.com,
/// or a loopback test hub, possibly with a path prefix) and the repository id ORG/NAME.
/// </summary>
public sealed record HubRepository(Uri Endpoint, string RepoId)
{
    /// <summary>The variable huggingface_hub reads to talk to another endpoint (mirrors, private hubs).</summary>
    public const string EndpointVariable = "HF_ENDPOINT";

    /// <summary>The model's page, where a gated model's licence is accepted.</summary>
    public Uri ModelPage => new(Endpoint, RepoId);

    /// <summary>
    /// Reads <c>[InstallationOptions] ModelRepositoryUrl</c>: the URL of a model page, ORG/NAME last. When the URL
    /// names only a hub (no ORG/NAME), <paramref name="fallbackRepoId"/> is the repository. <c>HF_ENDPOINT</c>, when
    /// set, replaces the URL's hub the way it does for huggingface_hub.
    /// </summary>
    /// <exception cref="HubException">The URL is not an absolute http(s) URL, or no repository id can be found.</exception>
    public static HubRepository Parse(string modelRepositoryUrl, string? fallbackRepoId, string? endpointOverride)
    {
        if (!Uri.TryCreate(modelRepositoryUrl?.Trim(), UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
        {
            throw new HubException($"[InstallationOptions] ModelRepositoryUrl \"{modelRepositoryUrl}\" is not an http(s) URL such as https://huggingface.co/ORG/NAME");
        }

        var segments = url.AbsolutePath.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        string repoId;
        string prefix;
        if (segments.Length >= 2)
        {
            repoId = $"{segments[^2]}/{segments[^1]}";
            prefix = string.Join('/', segments[..^2]);
        }
        else if (fallbackRepoId is not null && IsRepoId(fallbackRepoId))
        {
            repoId = fallbackRepoId;
            prefix = string.Join('/', segments);
        }
        else
        {
            throw new HubException($"[InstallationOptions] ModelRepositoryUrl \"{modelRepositoryUrl}\" names no repository (expected https://HUB/ORG/NAME)");
        }

        var endpoint = new Uri(url.GetLeftPart(UriPartial.Authority) + "/" + (prefix.Length > 0 ? prefix + "/" : string.Empty));
        if (!string.IsNullOrWhiteSpace(endpointOverride))
        {
            if (!Uri.TryCreate(endpointOverride.Trim().TrimEnd('/') + "/", UriKind.Absolute, out var overridden) || (overridden.Scheme != Uri.UriSchemeHttps && overridden.Scheme != Uri.UriSchemeHttp))
            {
                throw new HubException($"{EndpointVariable} \"{endpointOverride}\" is not an http(s) URL");
            }

            endpoint = overridden;
        }

        return new HubRepository(endpoint, repoId);
    }

    /// <summary>ORG/NAME with no empty part and nothing that could climb out of a folder.</summary>
    public static bool IsRepoId(string text) =>
        text.Split('/') is [var org, var name] && org.Length > 0 && name.Length > 0 && org != ".." && name != ".." && org != "." && name != ".";

    public Uri RevisionApi(string revision) => new(Endpoint, $"api/models/{RepoId}/revision/{Uri.EscapeDataString(revision)}");

    public Uri TreeApi(string commit) => new(Endpoint, $"api/models/{RepoId}/tree/{Uri.EscapeDataString(commit)}?recursive=true");

    public Uri Resolve(string commit, string path) =>
        new(Endpoint, $"{RepoId}/resolve/{Uri.EscapeDataString(commit)}/{string.Join('/', path.Split('/').Select(Uri.EscapeDataString))}");

    public override string ToString() => $"{RepoId} on {Endpoint.GetLeftPart(UriPartial.Authority)}";
}

/// <summary>A hub answer or transfer problem, in one line that never contains the token.</summary>
public sealed class HubException(string message, Exception? inner = null) : Exception(message, inner);
