using TurnLivePhotos.Bench.ViewSynthesis;
using TurnLivePhotos.Engine.Cinematic;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Cinematic;

/// <summary>The arithmetic of <c>bench view-synthesis</c> on constructed images, and the bench on a generated two-plane scene.</summary>
public sealed class ViewSynthesisBenchTests
{
    [Fact]
    public void Psnr_is_over_the_masked_samples_and_pools_across_views()
    {
        // 2 × 2 pixels, truth 100 everywhere; pixel 0 is off by 10 in every channel, pixel 2 by −20 in red only.
        byte[] truth = [.. Enumerable.Repeat((byte)100, 12)];
        byte[] image = [110, 110, 110, 100, 100, 100, 80, 100, 100, 100, 100, 100];

        var all = ViewMetrics.Errors(image, truth, null);
        Assert.Equal(new ErrorSum(700, 12), all);
        Assert.Equal(10 * Math.Log10(255.0 * 255 * 12 / 700), all.Psnr, 9);

        var first = ViewMetrics.Errors(image, truth, [true, false, false, false]);
        Assert.Equal(10 * Math.Log10(255.0 * 255 / 100), first.Psnr, 9);
        Assert.True(double.IsPositiveInfinity(ViewMetrics.Errors(image, truth, [false, true, false, true]).Psnr));
        Assert.True(double.IsNaN(ViewMetrics.Errors(image, truth, [false, false, false, false]).Psnr));

        // Pooled: the squared errors add, so the total is not the mean of the two PSNRs.
        var pooled = first + ViewMetrics.Errors(image, truth, [false, false, true, false]);
        Assert.Equal(10 * Math.Log10(255.0 * 255 * 6 / 700), pooled.Psnr, 9);
    }

    [Fact]
    public void The_edge_band_is_four_pixels_across_a_depth_step_over_five_percent()
    {
        const int width = 12, height = 5;
        var band = ViewMetrics.EdgeBand(Step(width, height, 6, 2f, 2.2f), width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                Assert.True(band[(y * width) + x] == x is >= 4 and <= 7, $"pixel ({x}, {y})");
            }
        }

        // A 4 % step is no edge; nor is unknown depth (0).
        Assert.DoesNotContain(true, ViewMetrics.EdgeBand(Step(width, height, 6, 2f, 2.08f), width, height));
        var unknown = Step(width, height, 6, 2f, 2f);
        unknown[3] = 0;
        Assert.DoesNotContain(true, ViewMetrics.EdgeBand(unknown, width, height));
    }

    [Fact]
    public void The_bench_renders_every_view_of_a_generated_scene_and_scores_both_renderers()
    {
        using var temp = new TempFolder();
        TwoPlaneScene.Write(temp["scene"]);

        var scene = NvsScene.Load(temp["scene"]);
        var results = ViewSynthesisBench.Run(scene, temp["out"]);

        Assert.Equal(TwoPlaneScene.Views.Select(v => v.Name), results.Select(r => r.Name));
        foreach (var (name, _, _, _, _) in TwoPlaneScene.Views)
        {
            using var written = new ImageMagick.MagickImage(temp[$"out/view-{name}.png"]);
            Assert.Equal((uint)TwoPlaneScene.Width, written.Width);
            Assert.Equal((uint)TwoPlaneScene.Height, written.Height);
            Assert.True(File.Exists(temp[$"out/naive-{name}.png"]));
        }

        // The rest view is the photo; the moved views uncover wall and have depth edges, and ours comes close to the truth.
        var rest = results[0];
        Assert.True(rest.Ours.All.Psnr > 50, $"rest view {rest.Ours.All.Psnr:0.0} dB");
        foreach (var moved in results.Skip(1))
        {
            Assert.True(moved.Ours.Unseen.Samples > 0 && moved.Ours.EdgeBand.Samples > 0, $"{moved.Name}: no unseen pixels or no edge band");
            Assert.Equal(moved.Ours.EdgeBand.Samples, moved.Naive.EdgeBand.Samples);
            Assert.True(moved.Ours.All.Psnr > 25 && moved.Ours.All.Psnr >= moved.Naive.All.Psnr - 0.2, $"{moved.Name}: ours {moved.Ours.All.Psnr:0.0} dB over all pixels, naive {moved.Naive.All.Psnr:0.0} dB");
        }

        var table = ViewSynthesisBench.Format(results);
        Assert.Contains("dolly", table);
        Assert.Contains("total", table);
    }

    [Fact]
    public void A_scene_whose_files_escape_its_folder_or_whose_depth_is_short_is_refused_with_one_line()
    {
        using var temp = new TempFolder();
        TwoPlaneScene.Write(temp["scene"]);
        var json = File.ReadAllText(temp["scene/scene.json"]);

        File.WriteAllText(temp["scene/scene.json"], json.Replace("\"name\": \"orbit\"", "\"name\": \"../orbit\"", StringComparison.Ordinal));
        Assert.Contains("not letters", Assert.Throws<SceneException>(() => NvsScene.Load(temp["scene"])).Message);

        File.WriteAllText(temp["scene/scene.json"], json);
        File.WriteAllBytes(temp["scene/depth.f32"], new byte[(4 * TwoPlaneScene.Width * TwoPlaneScene.Height) - 4]);
        Assert.Contains("bytes", Assert.Throws<SceneException>(() => NvsScene.Load(temp["scene"])).Message);
    }

    [Fact]
    public void A_camera_moved_only_sideways_sees_the_near_plane_move_by_focal_times_baseline_over_depth()
    {
        var intrinsics = new Intrinsics(100, 100, 49.5, 39.5);
        var transfer = ViewTransfer.Between(PinholeCamera.AtOrigin(intrinsics), new PinholeCamera(intrinsics, Matrix3.Identity, new Vector3d(0.2, 0, 0)));

        var (x, y, q) = transfer.Project(30, 20, 1 / 4.0);
        Assert.Equal(30 - (100 * 0.2 / 4), x, 9);
        Assert.Equal(20, y, 9);
        Assert.Equal(1 / 4.0, q, 9);
        var (u, v) = transfer.Unproject(x, y, q);
        Assert.Equal(30, u, 9);
        Assert.Equal(20, v, 9);
    }

    private static float[] Step(int width, int height, int at, float nearDepth, float farDepth)
    {
        var q = new float[width * height];
        for (var i = 0; i < q.Length; i++)
        {
            q[i] = 1 / (i % width < at ? nearDepth : farDepth);
        }

        return q;
    }
}
