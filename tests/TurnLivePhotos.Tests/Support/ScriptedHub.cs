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

namespace TurnLivePhotos.Tests.Support;

/// <summary>Which hub request a <see cref="ScriptedHub"/> answer replaces.</summary>
public enum HubCall
{
    Revision,
    Tree,
    Resolve,
}

/// <summary>
/// A hub on 127.0.0.1 serving a small depth-model repository (config.json and preprocessor_config.json kept in git,
/// model.safetensors in LFS) with well-formed answers, except the one call a test scripts: that call is answered by
/// the test's own handler, so each malformed answer (bad JSON, wrong shapes, hostile paths, redirects, cut bodies)
/// can be tried against the real program.
/// </summary>
public sealed class ScriptedHub : IAsyncDisposable
{
    public const string RepoId = "tiny-org/depth-tiny";

    public const string Commit = "0123456789abcdef0123456789abcdef01234567";

    private readonly WebApplication app;
    private readonly HubCall? scripted;
    private readonly Func<HttpContext, ScriptedHub, Task>? answer;

    private ScriptedHub(WebApplication app, HubCall? scripted, Func<HttpContext, ScriptedHub, Task>? answer)
    {
        this.app = app;
        this.scripted = scripted;
        this.answer = answer;
    }

    /// <summary>The repository's files and bytes.</summary>
    public static IReadOnlyDictionary<string, byte[]> Files { get; } = new Dictionary<string, byte[]>(StringComparer.Ordinal)
    {
        ["config.json"] = Encoding.UTF8.GetBytes("{\"model_type\": \"depth_anything\"}\n"),
        ["preprocessor_config.json"] = Encoding.UTF8.GetBytes("{\"size\": {\"height\": 518, \"width\": 518}}\n"),
        ["model.safetensors"] = Enumerable.Range(0, 50_000).Select(i => (byte)(i * 31)).ToArray(),
    };

    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Resolve URL path of a file.</summary>
    public static string ResolvePath(string path) => $"/{RepoId}/resolve/{Commit}/{path}";

    public static async Task<ScriptedHub> StartAsync(HubCall? scripted = null, Func<HttpContext, ScriptedHub, Task>? answer = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var hub = new ScriptedHub(app, scripted, answer);
        app.Run(hub.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        hub.Endpoint = new Uri(address.TrimEnd('/') + "/");
        return hub;
    }

    /// <summary>The well-formed tree entries, as the tree API lists them (a directory-free repository).</summary>
    public static List<Dictionary<string, object>> TreeEntries() =>
        Files.Select(file => file.Key.EndsWith(".safetensors", StringComparison.Ordinal)
            ? new Dictionary<string, object>
            {
                ["type"] = "file", ["oid"] = GitOid(file.Value), ["size"] = file.Value.Length, ["path"] = file.Key,
                ["lfs"] = new Dictionary<string, object> { ["oid"] = Convert.ToHexStringLower(SHA256.HashData(file.Value)), ["size"] = file.Value.Length, ["pointerSize"] = 134 },
            }
            : new Dictionary<string, object> { ["type"] = "file", ["oid"] = GitOid(file.Value), ["size"] = file.Value.Length, ["path"] = file.Key }).ToList();

    public static string GitOid(byte[] bytes) => Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {bytes.Length}\0"), .. bytes]));

    public static Task WriteJsonAsync(HttpContext context, object value) => WriteTextAsync(context, JsonSerializer.Serialize(value));

    public static async Task WriteTextAsync(HttpContext context, string text)
    {
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(text);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var path = Uri.UnescapeDataString(context.Request.Path.Value ?? string.Empty);
        HubCall? call = path == $"/api/models/{RepoId}/revision/main" ? HubCall.Revision
            : path == $"/api/models/{RepoId}/tree/{Commit}" ? HubCall.Tree
            : path.StartsWith($"/{RepoId}/resolve/{Commit}/", StringComparison.Ordinal) ? HubCall.Resolve
            : null;
        if (call is not null && call == scripted && answer is not null)
        {
            await answer(context, this);
            return;
        }

        switch (call)
        {
            case HubCall.Revision:
                await WriteJsonAsync(context, new Dictionary<string, object> { ["id"] = RepoId, ["sha"] = Commit });
                break;
            case HubCall.Tree:
                await WriteJsonAsync(context, TreeEntries());
                break;
            case HubCall.Resolve when Files.TryGetValue(path[$"/{RepoId}/resolve/{Commit}/".Length..], out var bytes):
                context.Response.ContentType = "application/octet-stream";
                context.Response.ContentLength = bytes.Length;
                await context.Response.Body.WriteAsync(bytes);
                break;
            default:
                context.Response.StatusCode = 404;
                break;
        }
    }
}
