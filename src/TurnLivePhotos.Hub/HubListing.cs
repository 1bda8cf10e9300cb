using System.Text.Json;

namespace TurnLivePhotos.Hub;

/// <summary>
/// Reads the hub's JSON answers — the revision API's commit and the tree API's file entries — as untrusted input:
/// each answer is size-limited, every field is checked for its type and range, and anything malformed becomes one
/// <see cref="HubException"/> naming what was wrong, never a parser's stack trace. The shapes mirror what the hub
/// serves (huggingface_hub's <c>HfApi.model_info</c> "sha" and <c>list_repo_tree</c> entries with type, oid, size,
/// path and an optional lfs object holding oid/size).
/// </summary>
public static class HubListing
{
    /// <summary>Largest JSON answer read: a real tree page of a thousand entries is a few hundred kilobytes.</summary>
    public const int MaxJsonBytes = 32 << 20;

    /// <summary>Most files one listing may hold (all pages together); model repositories hold dozens.</summary>
    public const int MaxFiles = 100_000;

    /// <summary>Most tree pages followed; with <see cref="MaxFiles"/> this bounds a hub that pages forever.</summary>
    public const int MaxPages = 10_000;

    /// <summary>Largest size one file may declare: far above the 50 GB the hub allows per file, far below overflow.</summary>
    public const long MaxFileBytes = 1L << 40;

    /// <summary>Longest path accepted from a listing.</summary>
    public const int MaxPathLength = 1024;

    /// <summary>Reads a JSON answer of at most <see cref="MaxJsonBytes"/> bytes.</summary>
    /// <exception cref="HubException">Too big, or not JSON.</exception>
    public static async Task<JsonDocument> ReadJsonAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (response.Content.Headers.ContentLength is > MaxJsonBytes)
        {
            throw new HubException($"{what} declares {response.Content.Headers.ContentLength} bytes, more than the {MaxJsonBytes >> 20} MiB accepted");
        }

        using var buffer = new MemoryStream();
        await using (var body = await response.Content.ReadAsStreamAsync(cancellationToken))
        {
            var chunk = new byte[81920];
            int read;
            while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > MaxJsonBytes)
                {
                    throw new HubException($"{what} is longer than the {MaxJsonBytes >> 20} MiB accepted");
                }

                buffer.Write(chunk, 0, read);
            }
        }

        try
        {
            return JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
        }
        catch (JsonException ex)
        {
            throw new HubException($"{what} is not valid JSON ({FirstLine(ex.Message)})", ex);
        }
    }

    /// <summary>The "sha" of a revision answer: a git commit id (40 hex digits, or 64 for SHA-256 repositories).</summary>
    public static string ParseCommit(JsonElement root, string what)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new HubException($"{what} is a JSON {Kind(root)}, not an object");
        }

        if (!root.TryGetProperty("sha", out var sha) || sha.ValueKind != JsonValueKind.String)
        {
            throw new HubException($"{what} gives no commit (\"sha\" is {(root.TryGetProperty("sha", out var other) ? "a " + Kind(other) : "missing")})");
        }

        var commit = sha.GetString()!;
        return IsHex(commit, 40) || IsHex(commit, 64)
            ? commit.ToLowerInvariant()
            : throw new HubException($"{what} gives \"{Clip(commit)}\" as the commit, not a git commit id");
    }

    /// <summary>
    /// Adds the files of one tree page to <paramref name="files"/> (directories skipped). A page that is not a list,
    /// an entry without a path or size, a size that is not a whole number within <see cref="MaxFileBytes"/>, a hash
    /// that is not hex of the right length, a path that could leave the download folder, or a path listed twice
    /// refuses the whole listing.
    /// </summary>
    public static void AddTreePage(JsonElement page, string what, Dictionary<string, HubFile> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        if (page.ValueKind != JsonValueKind.Array)
        {
            throw new HubException($"{what} is a JSON {Kind(page)}, not a list of files");
        }

        var index = 0;
        foreach (var entry in page.EnumerateArray())
        {
            if (ParseEntry(entry, $"{what}, entry {index++}") is not { } file)
            {
                continue;
            }

            if (!files.TryAdd(file.Path, file))
            {
                throw new HubException($"{what} lists \"{Clip(file.Path)}\" twice");
            }

            if (files.Count > MaxFiles)
            {
                throw new HubException($"{what} lists more than {MaxFiles} files");
            }
        }
    }

    /// <summary>A path that stays inside the folder it is joined to: relative, '/'-separated, no empty, '.' or '..' part.</summary>
    public static bool IsSafeRelativePath(string path) =>
        path.Length is > 0 and <= MaxPathLength && !path.StartsWith('/') && !path.Contains('\\', StringComparison.Ordinal)
        && !path.Any(char.IsControl) && !Path.IsPathRooted(path) && !path.Contains(':', StringComparison.Ordinal)
        && path.Split('/').All(part => part.Length > 0 && part != "." && part != "..");

    private static HubFile? ParseEntry(JsonElement entry, string where)
    {
        if (entry.ValueKind != JsonValueKind.Object)
        {
            throw new HubException($"{where} is a JSON {Kind(entry)}, not an object");
        }

        if (entry.TryGetProperty("type", out var type) && (type.ValueKind != JsonValueKind.String || type.GetString() != "file"))
        {
            return null;
        }

        if (!entry.TryGetProperty("path", out var pathElement) || pathElement.ValueKind != JsonValueKind.String)
        {
            throw new HubException($"{where} has no path");
        }

        var path = pathElement.GetString()!;
        if (!IsSafeRelativePath(path))
        {
            throw new HubException($"{where} has the path \"{Clip(path)}\", which is not a plain relative path inside the repository");
        }

        var size = Size(entry, "size", $"{where} (\"{Clip(path)}\")");
        string? sha256 = null;
        if (entry.TryGetProperty("lfs", out var lfs) && lfs.ValueKind != JsonValueKind.Null)
        {
            if (lfs.ValueKind != JsonValueKind.Object)
            {
                throw new HubException($"{where} (\"{Clip(path)}\") has an lfs field that is a {Kind(lfs)}, not an object");
            }

            sha256 = Hash(lfs, "oid", 64, $"{where} (\"{Clip(path)}\") lfs") ?? throw new HubException($"{where} (\"{Clip(path)}\") has an lfs object with no sha256 oid");
            if (lfs.TryGetProperty("size", out _))
            {
                size = Size(lfs, "size", $"{where} (\"{Clip(path)}\") lfs");
            }
        }

        var gitOid = sha256 is null ? Hash(entry, "oid", 40, $"{where} (\"{Clip(path)}\")") : null;
        return new HubFile(path, size, sha256, gitOid);
    }

    private static long Size(JsonElement owner, string name, string where)
    {
        if (!owner.TryGetProperty(name, out var element))
        {
            throw new HubException($"{where} has no size");
        }

        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out var size))
        {
            throw new HubException($"{where} gives its size as {Describe(element)}, not a whole number of bytes");
        }

        return size is >= 0 and <= MaxFileBytes
            ? size
            : throw new HubException($"{where} gives the size {size}, outside 0 to {MaxFileBytes} bytes");
    }

    private static string? Hash(JsonElement owner, string name, int hexDigits, string where)
    {
        if (!owner.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var text = element.ValueKind == JsonValueKind.String ? element.GetString()! : null;
        return text is not null && IsHex(text, hexDigits)
            ? text.ToLowerInvariant()
            : throw new HubException($"{where} gives {Describe(element)} as its {name}, not {hexDigits} hex digits");
    }

    private static bool IsHex(string text, int length) => text.Length == length && text.All(Uri.IsHexDigit);

    private static string Kind(JsonElement element) => element.ValueKind.ToString().ToLowerInvariant();

    private static string Describe(JsonElement element) =>
        element.ValueKind == JsonValueKind.String ? $"the text \"{Clip(element.GetString()!)}\"" : $"a {Kind(element)} ({Clip(element.GetRawText())})";

    /// <summary>At most 80 characters of hub text in a message, control characters replaced.</summary>
    private static string Clip(string text)
    {
        var clean = new string(text.Select(c => char.IsControl(c) ? '?' : c).Take(81).ToArray());
        return clean.Length > 80 ? clean[..80] + "…" : clean;
    }

    private static string FirstLine(string message) => Clip(message.Split('\n', 2)[0].Trim());
}
