using TurnLivePhotos.Engine.Onnx;
using TurnLivePhotos.Engine.Weights;
using TurnLivePhotos.Tests.Configuration;

namespace TurnLivePhotos.Tests.Support;

/// <summary>
/// The golden fixture sets made with the real Python diffusers/transformers code. The repository carries its own
/// (tests/TurnLivePhotos.Tests/Fixtures, see the README there); TLP_FIXTURES may name more folders (separated like
/// PATH) whose sub-folders laid out like svd-tiny or depth-anything-tiny are checked the same way. A set is named by its folder name when
/// it is one of the repository's and by its full path otherwise.
/// </summary>
public static class FixtureSets
{
    private static readonly string[] Components = ["clip_vision", "vae", "unet", "scheduler", "pipeline"];

    /// <summary>The repository's own fixture folder.</summary>
    public static string Root => Path.Combine(SettingsTests.RepositoryRoot(), "tests", "TurnLivePhotos.Tests", "Fixtures");

    /// <summary>Every folder searched for sets: the repository's, then those in TLP_FIXTURES.</summary>
    public static IReadOnlyList<string> Roots =>
        [Root, .. (Environment.GetEnvironmentVariable("TLP_FIXTURES") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(Path.GetFullPath)];

    /// <summary>Test data: one row per fixture set. Fails loudly when there is none, so no test passes by finding nothing.</summary>
    public static TheoryData<string> All => SetsWith(Components);

    /// <summary>Sets laid out like depth-anything-tiny: a Depth Anything model folder plus recorded inputs and outputs.</summary>
    public static TheoryData<string> DepthSets => SetsWith("config.json", "model.safetensors", "preprocessor_config.json", "io.safetensors", "test_image.png");

    /// <summary>Sets whose folder holds every one of <paramref name="parts"/> (sub-folders or files).</summary>
    public static TheoryData<string> SetsWith(params string[] parts) => SetsWith(_ => true, string.Join(", ", parts), parts);

    /// <summary>
    /// Sets made with AnimateLCM's own scheduler and pipeline (the animatelcm-tiny layout: <c>scheduler/</c> and
    /// <c>pipeline/</c>, no networks of their own; their <c>pipeline/params.json</c> names the network folders).
    /// Told apart from the diffusers sets, which have the same two folders, by the scheduler class they saved.
    /// </summary>
    public static TheoryData<string> AnimateLcm =>
        SetsWith(set => SchedulerClass(set) == "AnimateLCMSVDStochasticIterativeScheduler", "scheduler, pipeline, an AnimateLCM scheduler_config.json", "scheduler", "pipeline");

    /// <summary>The <c>_class_name</c> of a set's scheduler/scheduler_config.json, or null.</summary>
    public static string? SchedulerClass(string set)
    {
        var path = Path.Combine(Folder(set, "scheduler"), "scheduler_config.json");
        if (!File.Exists(path))
        {
            return null;
        }

        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(path));
        return json.RootElement.TryGetProperty("_class_name", out var name) ? name.GetString() : null;
    }

    private static TheoryData<string> SetsWith(Func<string, bool> accept, string description, params string[] parts)
    {
        var sets = Roots.Where(Directory.Exists)
            .SelectMany(root => Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal))
            .Where(d => parts.All(c => Directory.Exists(Path.Combine(d, c)) || File.Exists(Path.Combine(d, c))))
            .Where(accept)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        if (sets.Count == 0)
        {
            throw new InvalidOperationException($"no fixture sets with {description} under {string.Join(", ", Roots)}");
        }

        var data = new TheoryData<string>();
        sets.ForEach(set => data.Add(Path.GetDirectoryName(set) == Root ? Path.GetFileName(set) : set));
        return data;
    }

    /// <summary>The folder of a set (a name from <see cref="All"/>), or of one of its components.</summary>
    public static string Folder(string set, string component = "") =>
        Path.Combine(Path.IsPathRooted(set) ? set : Path.Combine(Root, set), component);

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
