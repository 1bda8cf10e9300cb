using TurnLivePhotos.Engine.Onnx;
using TurnLivePhotos.Engine.Weights;
using TurnLivePhotos.Tests.Configuration;

namespace TurnLivePhotos.Tests.Support;

/// <summary>
/// The golden fixture sets made with the real Python diffusers/transformers code. Found through TLP_FIXTURES
/// (default: ../shared/fixtures beside the repository); every sub-folder laid out like svd-tiny is a set.
/// </summary>
public static class FixtureSets
{
    private static readonly string[] Components = ["clip_vision", "vae", "unet", "scheduler", "pipeline"];

    public static string Root
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable("TLP_FIXTURES");
            return Path.GetFullPath(string.IsNullOrWhiteSpace(configured)
                ? Path.Combine(SettingsTests.RepositoryRoot(), "..", "shared", "fixtures")
                : configured);
        }
    }

    /// <summary>Test data: one row per fixture set. Fails loudly when there is none, so no test passes by finding nothing.</summary>
    public static TheoryData<string> All
    {
        get
        {
            var sets = Directory.Exists(Root)
                ? Directory.EnumerateDirectories(Root).Where(d => Components.All(c => Directory.Exists(Path.Combine(d, c)))).Order(StringComparer.Ordinal).ToList()
                : [];
            if (sets.Count == 0)
            {
                throw new InvalidOperationException($"no fixture sets under {Root} (set TLP_FIXTURES)");
            }

            var data = new TheoryData<string>();
            sets.ForEach(set => data.Add(Path.GetFileName(set)));
            return data;
        }
    }

    public static string Folder(string set, string component) => Path.Combine(Root, set, component);

    public static FloatTensor Read(Checkpoint file, string name) =>
        new(file.ReadFloat32(name), file[name].Shape);

    /// <summary>max |actual − expected| ≤ tolerance · max(1, |expected|), element by element.</summary>
    public static void AssertClose(FloatTensor expected, FloatTensor actual, double tolerance, string what)
    {
        Assert.True(expected.Shape.SequenceEqual(actual.Shape), $"{what}: shape {actual.ShapeText}, expected {expected.ShapeText}");
        var worst = 0.0;
        var worstIndex = -1;
        for (var i = 0; i < expected.Data.Length; i++)
        {
            var excess = Math.Abs(actual.Data[i] - expected.Data[i]) / Math.Max(1.0, Math.Abs(expected.Data[i]));
            if (!(excess <= worst))
            {
                worst = excess;
                worstIndex = i;
            }
        }

        Assert.True(worst <= tolerance,
            $"{what}: relative error {worst:E2} at index {worstIndex} (got {actual.Data[Math.Max(0, worstIndex)]}, expected {expected.Data[Math.Max(0, worstIndex)]}) exceeds {tolerance:E1}");
    }
}
