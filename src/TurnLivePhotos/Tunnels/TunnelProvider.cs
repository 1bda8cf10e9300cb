using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace TurnLivePhotos.Tunnels;

/// <summary>Which public tunnel <c>serve</c> opens: the Python tool's <c>--ngrok</c>, or a Cloudflare quick tunnel.</summary>
public enum TunnelKind
{
    None,
    Ngrok,
    Cloudflared,
}

/// <summary>
/// How one tunnel agent is started and how its log announces the public URL. Both agents are read from their own
/// output rather than from a local API (ngrok's http://127.0.0.1:4040/api/tunnels): the log is there for both
/// agents, needs no polling, and a second ngrok on the machine cannot answer for ours on port 4040.
/// </summary>
public abstract partial class TunnelProvider
{
    public static TunnelProvider For(TunnelKind kind) => kind switch
    {
        TunnelKind.Ngrok => new NgrokProvider(),
        TunnelKind.Cloudflared => new CloudflaredProvider(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "no tunnel"),
    };

    /// <summary>The agent's program name on the PATH (without .exe).</summary>
    public abstract string Executable { get; }

    /// <summary>Where to get the agent, for the one-line error when it is missing.</summary>
    public abstract string InstallHint { get; }

    /// <summary>The setting that names the agent's path.</summary>
    public abstract string PathSetting { get; }

    /// <summary>Sets up the agent's command line and environment; a secret goes in the environment, never in the arguments (which <c>ps</c> shows every user).</summary>
    public abstract void AddArguments(ProcessStartInfo start, Uri local, string? authToken);

    /// <summary>The public URL this log line announces, if it does.</summary>
    public abstract Uri? ReadUrl(string line);

    /// <summary>The reason a failed agent gave in this log line, if it is an error line.</summary>
    public abstract string? ReadError(string line);

    private sealed class NgrokProvider : TunnelProvider
    {
        public override string Executable => "ngrok";

        public override string InstallHint => "install the ngrok agent (https://ngrok.com/download) and pass --ngrok-authtoken, or set [ToolOptions] NgrokPath";

        public override string PathSetting => "[ToolOptions] NgrokPath";

        /// <summary>ngrok v3: <c>ngrok http URL --log stdout --log-format json</c>, the authtoken in <c>NGROK_AUTHTOKEN</c> (ngrok's documented variable).</summary>
        public override void AddArguments(ProcessStartInfo start, Uri local, string? authToken)
        {
            foreach (var argument in new[] { "http", local.ToString().TrimEnd('/'), "--log", "stdout", "--log-format", "json" })
            {
                start.ArgumentList.Add(argument);
            }

            if (!string.IsNullOrEmpty(authToken))
            {
                start.Environment["NGROK_AUTHTOKEN"] = authToken;
            }
        }

        /// <summary>The JSON log event <c>{"msg":"started tunnel", …, "url":"https://….ngrok-free.app"}</c>.</summary>
        public override Uri? ReadUrl(string line) =>
            Parse(line) is { } entry && Text(entry, "msg") == "started tunnel" && Text(entry, "url") is { } url
            && Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps
                ? uri
                : null;

        /// <summary>ngrok logs failures at level "eror" or "crit" with the reason in "err".</summary>
        public override string? ReadError(string line) =>
            Parse(line) is { } entry && Text(entry, "lvl") is "eror" or "crit" ? Text(entry, "err") ?? Text(entry, "msg") : null;

        private static JsonElement? Parse(string line)
        {
            if (!line.TrimStart().StartsWith('{'))
            {
                return null;
            }

            try
            {
                using var document = JsonDocument.Parse(line);
                return document.RootElement.Clone();
            }
            catch (JsonException)
            {
                return null;
            }
        }

        private static string? Text(JsonElement? entry, string name) =>
            entry is { ValueKind: JsonValueKind.Object } e && e.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }

    private sealed partial class CloudflaredProvider : TunnelProvider
    {
        public override string Executable => "cloudflared";

        public override string InstallHint => "install cloudflared (https://developers.cloudflare.com/cloudflare-one/connections/connect-networks/downloads/) or set [ToolOptions] CloudflaredPath";

        public override string PathSetting => "[ToolOptions] CloudflaredPath";

        /// <summary>A quick tunnel, no account: <c>cloudflared tunnel --no-autoupdate --url URL</c>.</summary>
        public override void AddArguments(ProcessStartInfo start, Uri local, string? authToken)
        {
            foreach (var argument in new[] { "tunnel", "--no-autoupdate", "--url", local.ToString().TrimEnd('/') })
            {
                start.ArgumentList.Add(argument);
            }
        }

        /// <summary>cloudflared prints the quick tunnel's address in a box on its log: <c>INF |  https://….trycloudflare.com  |</c>.</summary>
        public override Uri? ReadUrl(string line) =>
            QuickTunnelUrl().Match(line) is { Success: true } match ? new Uri(match.Value) : null;

        /// <summary>cloudflared's error lines carry the level ERR (or a fatal "failed to …").</summary>
        public override string? ReadError(string line) =>
            line.Contains(" ERR ", StringComparison.Ordinal) ? line[(line.IndexOf(" ERR ", StringComparison.Ordinal) + 5)..].Trim() : null;

        [GeneratedRegex(@"https://[a-z0-9-]+\.trycloudflare\.com", RegexOptions.CultureInvariant)]
        private static partial Regex QuickTunnelUrl();
    }
}
