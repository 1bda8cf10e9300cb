using TurnLivePhotos.Tests.Configuration;

namespace TurnLivePhotos.Tests.Support;

/// <summary>
/// Real phone files: the Pixel motion photo carried in Samples/ (Apache-2.0, see Samples/README.md), and the
/// iPhone Live Photo pair read from ../shared/samples beside the repository (not redistributable).
/// </summary>
public static class PhoneSamples
{
    public static string PixelMotionPhoto => Path.Combine(AppContext.BaseDirectory, "Samples", "pixel-motion-photo-shortened.jpg");

    /// <summary>../shared/samples beside the repository, or null in a bare clone.</summary>
    public static string? SharedFolder
    {
        get
        {
            var folder = Path.GetFullPath(Path.Combine(SettingsTests.RepositoryRoot(), "..", "shared", "samples"));
            return Directory.Exists(folder) ? folder : null;
        }
    }

    public static string Shared(string name) =>
        Path.Combine(SharedFolder ?? throw new InvalidOperationException("../shared/samples is absent"), name);
}

/// <summary>
/// A fact that reads ../shared/samples: skipped with the reason where the folder is absent (a bare clone, CI),
/// otherwise it needs its tools like <see cref="RequiresToolsFactAttribute"/>.
/// </summary>
public sealed class RequiresSharedSamplesFactAttribute : FactAttribute
{
    public RequiresSharedSamplesFactAttribute(params string[] tools)
    {
        if (PhoneSamples.SharedFolder is null)
        {
            Skip = "needs the real phone samples in ../shared/samples beside the repository (not redistributable, absent in a bare clone)";
            return;
        }

        var missing = tools.Where(tool => ExternalTools.Find(tool) is null).ToList();
        if (missing.Count > 0 && Environment.GetEnvironmentVariable("CI") != "true")
        {
            Skip = $"needs {string.Join(", ", missing)} (bash .ci/run installs them)";
        }
    }
}
