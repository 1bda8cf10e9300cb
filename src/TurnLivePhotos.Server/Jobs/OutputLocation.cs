using System.Security.Cryptography;

namespace TurnLivePhotos.Server.Jobs;

/// <summary>Where the server writes results, and how it names them: local date and time plus a short random id.</summary>
public sealed class OutputLocation(string directory)
{
    public string Directory { get; } = Path.GetFullPath(directory);

    public static string NewBaseName(DateTimeOffset now) =>
        $"{now:yyyyMMdd-HHmmss}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";
}
