using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using ImageMagick;
using TurnLivePhotos.Engine.Cinematic;
using TurnLivePhotos.Media;
using TurnLivePhotos.Media.Imaging;

namespace TurnLivePhotos.Bench.ViewSynthesis;

/// <summary>One view's scores, ours and the naive renderer's, and how long ours took.</summary>
public sealed record ViewResult(string Scene, string Name, double UnseenFraction, ViewScores Ours, ViewScores Naive, TimeSpan OursTime);

/// <summary>
/// <c>bench view-synthesis SCENE_DIR… --out DIR</c>: renders every view of ground-truth scenes from their photo and
/// exact depth (no depth network) with the cinematic renderer and with <see cref="NaiveRenderer"/>, writes
/// <c>view-NAME.png</c> (ours) and <c>naive-NAME.png</c>, and prints PSNR over all pixels, over the unseen mask and
/// in the band around depth edges, per view and in total (the squared errors of all views pooled, then PSNR).
/// The edge band is found in the naive renderer's target depth (the exact depth moved, holes from the deeper side),
/// so both renderers are judged on the same pixels.
/// </summary>
public static class ViewSynthesisBench
{
    public static Command Create(TextWriter output)
    {
        var scenes = new Argument<string[]>("scene") { Description = "Scene folders from nvs_scenes.py (scene.json, image.png, depth.f32, views and masks)", Arity = ArgumentArity.OneOrMore };
        var outDir = new Option<string>("--out") { Description = "Where to write view-NAME.png and naive-NAME.png (a sub-folder per scene when several are given)", Required = true };
        var command = new Command("view-synthesis", "Render ground-truth scenes' views from their exact depth, ours and a naive z-buffer splat, and print PSNR over all pixels, unseen pixels and depth-edge bands");
        command.Arguments.Add(scenes);
        command.Options.Add(outDir);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var folders = parse.GetValue(scenes)!;
            var results = new List<ViewResult>();
            try
            {
                foreach (var folder in folders)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var scene = NvsScene.Load(folder);
                    var target = folders.Length == 1 ? parse.GetValue(outDir)! : Path.Combine(parse.GetValue(outDir)!, Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder))));
                    results.AddRange(Run(scene, target));
                }
            }
            catch (SceneException ex)
            {
                await Console.Error.WriteLineAsync($"error: {ex.Message}");
                return 2;
            }

            await output.WriteLineAsync(Format(results));
            return 0;
        });
        return command;
    }

    /// <summary>Renders and scores every view of <paramref name="scene"/>, writing the pictures into <paramref name="outDir"/>.</summary>
    public static IReadOnlyList<ViewResult> Run(NvsScene scene, string outDir)
    {
        ArgumentNullException.ThrowIfNull(scene);
        var results = new List<ViewResult>();
        foreach (var view in scene.Views)
        {
            var clock = Stopwatch.StartNew();
            var ours = ViewSynthesizer.Render(scene.Image, scene.Depth, scene.Source, view.Camera, scene.Width, scene.Height);
            var oursTime = clock.Elapsed;
            var (naive, naiveDepth) = NaiveRenderer.Render(scene.Image, scene.Depth, scene.Source, view.Camera, scene.Width, scene.Height);
            var band = ViewMetrics.EdgeBand(naiveDepth, scene.Width, scene.Height);
            WritePng(Path.Combine(outDir, $"view-{view.Name}.png"), ours);
            WritePng(Path.Combine(outDir, $"naive-{view.Name}.png"), naive);
            results.Add(new ViewResult(
                Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(scene.Folder))),
                view.Name,
                (double)view.Unseen.Count(u => u) / view.Unseen.Length,
                Score(ours, view, band),
                Score(naive, view, band),
                oursTime));
        }

        return results;
    }

    public static ViewScores Score(RgbImage image, SceneView view, bool[] band)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(view);
        return new ViewScores(
            ViewMetrics.Errors(image.Pixels, view.Truth.Pixels, null),
            ViewMetrics.Errors(image.Pixels, view.Truth.Pixels, view.Unseen),
            ViewMetrics.Errors(image.Pixels, view.Truth.Pixels, band));
    }

    /// <summary>The table: a line per view, a total per scene when there are several, and the total over all.</summary>
    public static string Format(IReadOnlyList<ViewResult> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var text = new StringBuilder();
        text.AppendLine("PSNR in dB (ours | naive: all pixels, unseen pixels, depth-edge band); unseen = share of the view the source never saw");
        text.AppendLine(CultureInfo.InvariantCulture, $"{"scene/view",-24} {"unseen",7}   {"ours all",8} {"unseen",7} {"edge",7}   {"naive all",9} {"unseen",7} {"edge",7}   {"ours ms",7}");
        foreach (var scene in results.GroupBy(r => r.Scene))
        {
            foreach (var r in scene)
            {
                text.AppendLine(Line($"{r.Scene}/{r.Name}", r.UnseenFraction, r.Ours, r.Naive, r.OursTime.TotalMilliseconds));
            }

            if (results.Select(r => r.Scene).Distinct().Count() > 1)
            {
                text.AppendLine(Total($"{scene.Key} total", [.. scene]));
            }
        }

        text.Append(Total("total", results));
        if (results.Count > 0)
        {
            var ours = results.Aggregate(default(ViewScores), (s, r) => s + r.Ours);
            var naive = results.Aggregate(default(ViewScores), (s, r) => s + r.Naive);
            text.AppendLine();
            text.Append(CultureInfo.InvariantCulture, $"ours − naive: all {ours.All.Psnr - naive.All.Psnr:+0.00;-0.00} dB, unseen {ours.Unseen.Psnr - naive.Unseen.Psnr:+0.00;-0.00} dB, edge band {ours.EdgeBand.Psnr - naive.EdgeBand.Psnr:+0.00;-0.00} dB");
        }

        return text.ToString();
    }

    private static string Total(string label, IReadOnlyList<ViewResult> results)
    {
        var ours = results.Aggregate(default(ViewScores), (s, r) => s + r.Ours);
        var naive = results.Aggregate(default(ViewScores), (s, r) => s + r.Naive);
        var unseen = results.Count == 0 ? 0 : results.Average(r => r.UnseenFraction);
        return Line(label, unseen, ours, naive, results.Sum(r => r.OursTime.TotalMilliseconds) / Math.Max(1, results.Count));
    }

    private static string Line(string label, double unseen, ViewScores ours, ViewScores naive, double milliseconds) => string.Create(CultureInfo.InvariantCulture,
        $"{label,-24} {unseen,7:0.0000}   {ours.All.Psnr,8:0.00} {ours.Unseen.Psnr,7:0.00} {ours.EdgeBand.Psnr,7:0.00}   {naive.All.Psnr,9:0.00} {naive.Unseen.Psnr,7:0.00} {naive.EdgeBand.Psnr,7:0.00}   {milliseconds,7:0}");

    private static void WritePng(string path, RgbImage image)
    {
        using var magick = MagickInterop.ToMagick(image);
        AtomicFile.Write(path, stream => magick.Write(stream, MagickFormat.Png));
    }
}
