namespace TurnLivePhotos.Hub;

/// <summary>
/// The access token for gated or private models, and where it came from (said in messages; the value never is).
/// Looked up in the order huggingface_hub uses after an explicit token: [InstallationOptions] HubToken, then
/// HF_TOKEN, then the token file the hub client writes on login (HF_TOKEN_PATH, else HF_HOME/token, else
/// ~/.cache/huggingface/token).
/// </summary>
public sealed class HubToken
{
    private readonly string value;

    private HubToken(string value, string source)
    {
        this.value = value;
        Source = source;
    }

    public string Source { get; }

    /// <summary>Only for the Authorization header.</summary>
    internal string Value => value;

    /// <summary>The token, or null when none is configured anywhere.</summary>
    public static HubToken? Find(string? configured, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return new HubToken(configured.Trim(), "[InstallationOptions] HubToken");
        }

        if (environment("HF_TOKEN") is { } variable && !string.IsNullOrWhiteSpace(variable))
        {
            return new HubToken(variable.Trim(), "the HF_TOKEN variable");
        }

        var file = TokenFile(environment);
        if (File.Exists(file))
        {
            var text = File.ReadAllText(file).Trim();
            if (text.Length > 0)
            {
                return new HubToken(text, $"the token file {file}");
            }
        }

        return null;
    }

    public static string TokenFile(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (environment("HF_TOKEN_PATH") is { Length: > 0 } path)
        {
            return path;
        }

        return Path.Combine(HubHome(environment), "token");
    }

    /// <summary>HF_HOME, else XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface.</summary>
    public static string HubHome(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (environment("HF_HOME") is { Length: > 0 } home)
        {
            return home;
        }

        var cache = environment("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(cache, "huggingface");
    }

    /// <summary>Replaces the token wherever it appears (server messages sometimes echo headers).</summary>
    public string Redact(string text) => text.Replace(value, "***", StringComparison.Ordinal);

    public override string ToString() => $"token from {Source}";
}
