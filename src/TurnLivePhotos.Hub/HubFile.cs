using System.Text.Json.Serialization;

namespace TurnLivePhotos.Hub;

/// <summary>
/// One file of a repository at one commit, as the tree API lists it: path, size, and what its bytes must hash to —
/// the LFS object id (SHA-256, for weights) or, for small files kept in git, the git blob id (SHA-1 of
/// "blob SIZE\0" + bytes).
/// </summary>
public sealed record HubFile(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("size")] long Size,
    [property: JsonPropertyName("sha256")] string? Sha256,
    [property: JsonPropertyName("git_oid")] string? GitOid)
{
    /// <summary>The expected hash in words, for messages.</summary>
    [JsonIgnore]
    public string Check => Sha256 is not null ? $"sha256 {Sha256}" : GitOid is not null ? $"git blob {GitOid}" : "size only";
}
