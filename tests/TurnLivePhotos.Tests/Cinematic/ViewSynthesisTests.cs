using TurnLivePhotos.Engine;
using TurnLivePhotos.Engine.Cinematic;
using TurnLivePhotos.Engine.Depth;
using TurnLivePhotos.Media.Imaging;

namespace TurnLivePhotos.Tests.Cinematic;

/// <summary>
/// A synthetic scene with known depth: a bright textured card (values 150–250) in front of a dark textured wall
/// (0–100), the card centred horizontally. The depth map is given at half resolution, as a model would give it.
/// </summary>
public sealed class ViewSynthesisTests
{
    private const int Width = 480;
    private const int Height = 320;
    private const int CardLeft = 180;
    private const int CardRight = 300;     // exclusive
    private const int CardTop = 110;
    private const int CardBottom = 250;    // exclusive

    private static readonly RgbImage Scene = MakeScene();

    [Fact]
    public void The_near_layer_moves_more_than_the_far_layer_by_the_cameras_ratio()
    {
        var clip = Render(CameraMove.Orbit, TwoPlaneDepth(), frames: 9);
        var pose = CinematicCamera.At(CameraMove.Orbit, 1, 255, Width, Height);

        // Windows centred on the vertical mid-line, where the zoom adds no sideways motion.
        var near = Track(clip.Frames[0], clip.Frames[^1], 220, 160, 40, 40);
        var far = Track(clip.Frames[0], clip.Frames[^1], 220, 30, 40, 40);

        var qNear = CinematicCamera.InverseDepth(1);
        var qFar = CinematicCamera.InverseDepth(0);
        var expectedNear = pose.Zoom * pose.ShiftX * (pose.Pivot - qNear);
        var expectedFar = pose.Zoom * pose.ShiftX * (pose.Pivot - qFar);
        Assert.True(Math.Abs(near.Dx) > Math.Abs(far.Dx) + 3, $"near moved {near.Dx:0.0} px, far {far.Dx:0.0} px");
        Assert.InRange(near.Dx / far.Dx, (expectedNear / expectedFar) - 0.1, (expectedNear / expectedFar) + 0.1);
        Assert.InRange(near.Dx, expectedNear - 0.5, expectedNear + 0.5);
        Assert.InRange(far.Dx, expectedFar - 0.5, expectedFar + 0.5);
    }

    [Theory]
    [InlineData(CameraMove.Orbit)]
    [InlineData(CameraMove.Dolly)]
    [InlineData(CameraMove.Rise)]
    public void The_depth_edge_stays_sharp_and_the_uncovered_wall_is_filled_from_the_wall(CameraMove move)
    {
        var clip = Render(move, TwoPlaneDepth(), frames: 5);
        var last = clip.Frames[^1];
        var pose = CinematicCamera.At(move, 1, 255, Width, Height, move == CameraMove.Rise ? -1 : 1);
        var magnification = pose.Magnification(CinematicCamera.InverseDepth(1));

        // Rows through the card's middle: the card must appear as one run of bright pixels exactly as wide as its
        // magnified self (a rubber sheet would widen it), bordered by at most a pixel of blend on each side, and the
        // wall it uncovered must be dark (filled from the wall, not smeared from the card).
        var rows = Enumerable.Range(CardTop + 40, 40).ToList();
        var blends = new List<int>();
        foreach (var y in rows)
        {
            var v = Enumerable.Range(0, Width).Select(x => Brightness(last, x, (int)Math.Round(Map(pose, CardLeft + 60, y, 1).Y))).ToArray();
            var bright = v.Select((b, x) => (b, x)).Where(p => p.b > 140).Select(p => p.x).ToList();
            Assert.NotEmpty(bright);
            var run = bright.Max() - bright.Min() + 1;
            Assert.True(bright.Count == run, $"row {y}: the card is broken ({bright.Count} bright pixels over {run})");
            Assert.InRange(run, ((CardRight - CardLeft) * magnification) - 2, ((CardRight - CardLeft) * magnification) + 2);
            blends.Add(v.Count(b => b > 105 && b < 145));
        }

        Assert.True(blends.Average() <= 2.5, $"on average {blends.Average():0.0} blended pixels per row across the two card edges");
    }

    [Theory]
    [InlineData(CameraMove.Auto)]
    [InlineData(CameraMove.Dolly)]
    [InlineData(CameraMove.Orbit)]
    [InlineData(CameraMove.Rise)]
    public void The_first_frame_is_the_photo_pixel_for_pixel(CameraMove move)
    {
        var clip = Render(move, TwoPlaneDepth(), frames: 4);
        Assert.True(clip.Frames[0].Pixels.AsSpan().SequenceEqual(Scene.Pixels), "frame 0 differs from the photo");
        Assert.False(clip.Frames[^1].Pixels.AsSpan().SequenceEqual(Scene.Pixels), "the clip does not move");
    }

    [Fact]
    public void Flat_depth_becomes_a_plain_push_in()
    {
        var flat = new DepthMap(Width / 2, Height / 2, Enumerable.Repeat(0.7f, Width * Height / 4).ToArray());
        var clip = Render(CameraMove.Auto, flat, frames: 5);
        Assert.Equal(CameraMove.Dolly, clip.Move);

        var pose = CinematicCamera.At(CameraMove.Dolly, 1, 255, Width, Height);
        var scale = pose.Magnification(CinematicCamera.InverseDepth(1));
        Assert.True(scale > 1.05, $"the push-in should be visible (scale {scale:0.000})");
        var last = clip.Frames[^1];
        double total = 0;
        var worst = 0.0;
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                // A plain zoom about the centre, sampled bilinearly from the photo.
                var sx = ((Width - 1) / 2.0) + ((x - ((Width - 1) / 2.0)) / scale);
                var sy = ((Height - 1) / 2.0) + ((y - ((Height - 1) / 2.0)) / scale);
                var difference = Math.Abs(Brightness(last, x, y) - Bilinear(Scene, sx, sy));
                total += difference;
                worst = Math.Max(worst, difference);
            }
        }

        Assert.True(total / (Width * Height) < 0.6, $"mean difference from a plain zoom {total / (Width * Height):0.00}");
        Assert.True(worst <= 2, $"largest difference from a plain zoom {worst:0.0}");
    }

    [Fact]
    public void Auto_picks_an_orbit_for_a_subject_on_one_side_and_a_dolly_for_a_centred_one()
    {
        var centred = DisparityField.From(TwoPlaneDepth(), Width, Height);
        Assert.Equal(CameraMove.Dolly, CinematicCamera.Choose(centred).Move);

        var side = new float[Width * Height];
        for (var y = 0; y < Height; y++)
        {
            for (var x = Width * 3 / 4; x < Width; x++)
            {
                side[(y * Width) + x] = 1;
            }
        }

        var (move, direction, _) = CinematicCamera.Choose(DisparityField.FromValues(Width, Height, side));
        Assert.Equal(CameraMove.Orbit, move);
        Assert.Equal(1, direction);
    }

    [Fact]
    public async Task Frames_handed_over_while_made_are_the_frames_made_first_and_the_still_comes_first()
    {
        var parameters = new MotionParameters { Frames = 7, MotionBucketId = 255, Camera = CameraMove.Dolly };
        var made = CinematicClip.Render(Scene, TwoPlaneDepth(), parameters.ToClip(), parameters.ToCamera(), null, CancellationToken.None);

        var (arriving, move, _) = CinematicClip.Start(Scene, TwoPlaneDepth(), parameters.ToClip(), parameters.ToCamera(), null, CancellationToken.None);
        Assert.Equal(Scene.Pixels, (await arriving.WhenReady(0, CancellationToken.None)).Pixels);
        await arriving.Completion;

        Assert.Equal(made.Move, move);
        Assert.Equal(made.Frames.Select(frame => frame.Pixels), arriving.Select(frame => frame.Pixels));
    }

    [Fact]
    public async Task A_cancelled_clip_stops_making_frames_and_no_reader_waits_for_ever()
    {
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();

        var (arriving, _, _) = CinematicClip.Start(Scene, TwoPlaneDepth(), new MotionParameters { Frames = 40, MotionBucketId = 255 }.ToClip(), new CameraOptions(CameraMove.Auto), null, cancel.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => arriving.WhenReady(39, CancellationToken.None).AsTask());
        Assert.True((await Task.WhenAny(arriving.Completion)).IsCanceled);
        Assert.ThrowsAny<OperationCanceledException>(() => CinematicClip.Render(Scene, TwoPlaneDepth(), new MotionParameters { Frames = 40 }.ToClip(), new CameraOptions(CameraMove.Auto), null, cancel.Token));
    }

    private static CinematicClip.Result Render(CameraMove move, DepthMap depth, int frames) =>
        CinematicClip.Render(Scene, depth, new MotionParameters { Frames = frames, MotionBucketId = 255 }.ToClip(), new CameraOptions(move), null, CancellationToken.None);

    private static (double X, double Y) Map(CameraPose pose, double x, double y, double disparity)
    {
        var (px, py) = pose.Project(x - ((Width - 1) / 2.0), y - ((Height - 1) / 2.0), CinematicCamera.InverseDepth(disparity));
        return (px + ((Width - 1) / 2.0), py + ((Height - 1) / 2.0));
    }

    /// <summary>Depth Anything-like output at half resolution: the card at 5.0, the wall at 1.2 (only order and ratio matter).</summary>
    private static DepthMap TwoPlaneDepth()
    {
        var values = new float[Width * Height / 4];
        for (var y = 0; y < Height / 2; y++)
        {
            for (var x = 0; x < Width / 2; x++)
            {
                var onCard = x >= CardLeft / 2 && x < CardRight / 2 && y >= CardTop / 2 && y < CardBottom / 2;
                values[(y * (Width / 2)) + x] = onCard ? 5.0f : 1.2f;
            }
        }

        return new DepthMap(Width / 2, Height / 2, values);
    }

    private static RgbImage MakeScene()
    {
        var wall = ValueNoise(11);
        var card = ValueNoise(23);
        var pixels = new byte[Width * Height * 3];
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                var onCard = x >= CardLeft && x < CardRight && y >= CardTop && y < CardBottom;
                var value = onCard ? 150 + (100 * card[(y * Width) + x]) : 100 * wall[(y * Width) + x];
                var i = 3 * ((y * Width) + x);
                pixels[i] = pixels[i + 1] = pixels[i + 2] = (byte)Math.Round(value);
            }
        }

        return new RgbImage(Width, Height, pixels);
    }

    /// <summary>Smooth random texture in [0, 1]: random values on a 6-pixel grid, bilinearly interpolated.</summary>
    private static float[] ValueNoise(int seed)
    {
        const int cell = 6;
        var random = new Random(seed);
        var gw = (Width / cell) + 2;
        var gh = (Height / cell) + 2;
        var grid = Enumerable.Range(0, gw * gh).Select(_ => (float)random.NextDouble()).ToArray();
        var result = new float[Width * Height];
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                float fx = (float)x / cell, fy = (float)y / cell;
                int x0 = (int)fx, y0 = (int)fy;
                float wx = fx - x0, wy = fy - y0;
                var top = grid[(y0 * gw) + x0] + ((grid[(y0 * gw) + x0 + 1] - grid[(y0 * gw) + x0]) * wx);
                var bottom = grid[((y0 + 1) * gw) + x0] + ((grid[((y0 + 1) * gw) + x0 + 1] - grid[((y0 + 1) * gw) + x0]) * wx);
                result[(y * Width) + x] = top + ((bottom - top) * wy);
            }
        }

        return result;
    }

    /// <summary>Where the block at (x, y, w, h) of <paramref name="from"/> went in <paramref name="to"/>: best SSD shift, refined by a parabola.</summary>
    private static (double Dx, double Dy) Track(RgbImage from, RgbImage to, int x, int y, int w, int h)
    {
        const int reach = 40;
        var best = (Dx: 0, Dy: 0, Cost: double.MaxValue);
        double Cost(int dx, int dy)
        {
            double sum = 0;
            for (var v = y; v < y + h; v++)
            {
                for (var u = x; u < x + w; u++)
                {
                    var d = Brightness(from, u, v) - Brightness(to, Math.Clamp(u + dx, 0, Width - 1), Math.Clamp(v + dy, 0, Height - 1));
                    sum += d * d;
                }
            }

            return sum;
        }

        for (var dy = -12; dy <= 12; dy++)
        {
            for (var dx = -reach; dx <= reach; dx++)
            {
                var cost = Cost(dx, dy);
                if (cost < best.Cost)
                {
                    best = (dx, dy, cost);
                }
            }
        }

        static double Refine(double left, double centre, double right) =>
            left + right - (2 * centre) <= 0 ? 0 : (left - right) / (2 * (left + right - (2 * centre)));

        var subX = Refine(Cost(best.Dx - 1, best.Dy), best.Cost, Cost(best.Dx + 1, best.Dy));
        var subY = Refine(Cost(best.Dx, best.Dy - 1), best.Cost, Cost(best.Dx, best.Dy + 1));
        return (best.Dx + subX, best.Dy + subY);
    }

    private static double Brightness(RgbImage image, int x, int y) => image.Pixels[3 * ((y * image.Width) + x)];

    private static double Bilinear(RgbImage image, double x, double y)
    {
        var x0 = Math.Clamp((int)Math.Floor(x), 0, image.Width - 1);
        var y0 = Math.Clamp((int)Math.Floor(y), 0, image.Height - 1);
        var x1 = Math.Min(x0 + 1, image.Width - 1);
        var y1 = Math.Min(y0 + 1, image.Height - 1);
        var wx = x - x0;
        var wy = y - y0;
        var top = Brightness(image, x0, y0) + ((Brightness(image, x1, y0) - Brightness(image, x0, y0)) * wx);
        var bottom = Brightness(image, x0, y1) + ((Brightness(image, x1, y1) - Brightness(image, x0, y1)) * wx);
        return top + ((bottom - top) * wy);
    }
}
