using TurnLivePhotos.Core.Conversion;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Engine.Cinematic;
using TurnLivePhotos.Engine.Classic;
using TurnLivePhotos.Media.Decoding;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Cinematic;

/// <summary>The cinematic engine end to end, with the tiny Depth Anything fixture as its depth model folder.</summary>
public sealed class CinematicEngineTests
{
    public static TheoryData<string> Sets => FixtureSets.DepthSets;

    [Theory]
    [MemberData(nameof(Sets))]
    public async Task Auto_picks_cinematic_when_only_the_depth_model_is_there_and_says_why(string set)
    {
        using var folder = new TempFolder();
        var depth = CopyModel(set, folder["models/depth"]);
        using var cinematic = new CinematicMotionEngine(new CinematicEngineOptions(depth), Microsoft.Extensions.Logging.Abstractions.NullLogger<CinematicMotionEngine>.Instance);
        using var catalog = new EngineCatalog(folder["models/svd"], new ClassicMotionEngine(), depthModelFolder: depth, cinematic: cinematic);

        var choice = catalog.Resolve(EngineKind.Auto);
        Assert.Same(cinematic, choice.Engine);
        Assert.Contains("no SVD model at", choice.Reason, StringComparison.Ordinal);
        Assert.Contains("depth model found", choice.Reason, StringComparison.Ordinal);

        var photo = PhotoDecoder.Decode(TestPhotos.Scene(200, 150, seed: 5)).Image;
        var progress = new List<MotionProgress>();
        var clip = await cinematic.GenerateAsync(new MotionParameters { Frames = 6, MotionBucketId = 255 }.ToRequest(photo), new SynchronousProgress<MotionProgress>(progress.Add), CancellationToken.None);
        Assert.Equal(6, clip.Frames.Count);
        await clip.Completion; // the frames arrive after the engine returns; then every one is made
        Assert.Equal("cinematic", clip.EngineName);
        Assert.True(clip.Frames[0].Pixels.AsSpan().SequenceEqual(photo.Pixels), "the first frame is the photo");
        Assert.False(clip.Frames[^1].Pixels.AsSpan().SequenceEqual(photo.Pixels), "the clip moves");
        Assert.Contains(progress, p => p.Stage == "depth");
        Assert.Contains(progress, p => p.Stage == "render" && p.Step == p.TotalSteps);

        File.Delete(Path.Combine(depth, "model.safetensors"));
        var fallback = catalog.Resolve(EngineKind.Auto);
        Assert.IsType<ClassicMotionEngine>(fallback.Engine);
        Assert.Contains("missing model.safetensors", fallback.Reason, StringComparison.Ordinal);
        var refused = Assert.Throws<EngineUnavailableException>(() => catalog.Resolve(EngineKind.Cinematic));
        Assert.Contains("missing model.safetensors", refused.Message, StringComparison.Ordinal);
        AssertNamesTheCommandOnce(refused.Message);

        Directory.Delete(depth, recursive: true);
        AssertNamesTheCommandOnce(Assert.Throws<EngineUnavailableException>(() => catalog.Resolve(EngineKind.Cinematic)).Message);
    }

    /// <summary>The reason the page and the CLI show says how to fix it once, not twice.</summary>
    private static void AssertNamesTheCommandOnce(string reason) =>
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(reason, "model download depth"));

    [Theory]
    [MemberData(nameof(Sets))]
    public async Task Convert_with_engine_cinematic_writes_a_gif_and_a_broken_config_is_one_error_line(string set)
    {
        using var folder = new TempFolder();
        CopyModel(set, folder["models/depth-anything/Depth-Anything-V2-Small-hf"]);
        folder.Write("in/a.jpg", TestPhotos.Scene(240, 160, seed: 6));
        var config = folder.Write("tlp.ini", $"[StoreOptions]\nModelsHome = {folder["models"]}\n");

        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await TurnLivePhotos.Commands.Cli.RunAsync(["convert", folder["in/a.jpg"], "-o", folder["out"], "--engine", "cinematic", "--camera", "orbit", "--frames", "4", "--format", "gif", "--config", config], output, error);
        Assert.True(exit == 0, error.ToString());
        Assert.Contains("Engine: cinematic", output.ToString(), StringComparison.Ordinal);
        Assert.True(File.Exists(folder["out/a.gif"]));

        folder.Write("models/depth-anything/Depth-Anything-V2-Small-hf/config.json", "{\"model_type\": \"depth_anything\", \"backbone_config\": {\"model_type\": \"dinov2\", \"use_swiglu_ffn\": true}}");
        using var output2 = new StringWriter();
        using var error2 = new StringWriter();
        exit = await TurnLivePhotos.Commands.Cli.RunAsync(["convert", folder["in/a.jpg"], "-o", folder["out2"], "--engine", "cinematic", "--format", "gif", "--config", config], output2, error2);
        Assert.Equal(1, exit);
        var line = Assert.Single(error2.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("use_swiglu_ffn", line, StringComparison.Ordinal);
    }

    private static string CopyModel(string set, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var name in new[] { "config.json", "model.safetensors", "preprocessor_config.json" })
        {
            File.Copy(Path.Combine(FixtureSets.Folder(set), name), Path.Combine(target, name));
        }

        return target;
    }
}
