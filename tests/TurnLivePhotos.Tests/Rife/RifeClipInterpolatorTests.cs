using TurnLivePhotos.Engine.Rife;
using TurnLivePhotos.Media.Formats;
using TurnLivePhotos.Media.Imaging;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Rife;

/// <summary>Where interpolated frames go, and that the originals come through untouched.</summary>
public sealed class RifeClipInterpolatorTests
{
    [Theory]
    [InlineData(8, 30, 4)]
    [InlineData(7, 30, 4)]
    [InlineData(6, 30, 5)]
    [InlineData(30, 30, 1)]
    [InlineData(60, 30, 1)]
    public void The_factor_is_the_whole_multiple_nearest_the_target_rate(double source, double target, int factor) =>
        Assert.Equal(factor, InterpolationPlan.Factor(source, target));

    [Theory]
    [InlineData(25, 4, true)]
    [InlineData(25, 4, false)]
    [InlineData(14, 2, true)]
    [InlineData(3, 1, true)]
    public void Originals_sit_at_every_factor_th_frame_and_the_seam_is_filled_only_when_asked(int count, int factor, bool seam)
    {
        var plan = InterpolationPlan.Build(count, factor, seam);
        Assert.Equal(seam ? count * factor : ((count - 1) * factor) + 1, plan.Count);
        for (var i = 0; i < plan.Count; i++)
        {
            var frame = plan[i];
            Assert.Equal(i % factor == 0, frame.IsOriginal);
            Assert.Equal(i / factor, frame.From);
            Assert.Equal(frame.IsOriginal ? frame.From : (frame.From + 1) % count, frame.To);
            Assert.Equal((float)(i % factor) / factor, frame.Timestep);
        }
    }

    [Fact]
    public void A_clip_through_rife_keeps_its_originals_byte_for_byte_and_fills_the_seam()
    {
        using var temp = new TempFolder();
        using var rife = RifeInterpolator.Open(Path.Combine(FixtureSets.Root, "rife-tiny", "head4", "flownet.pkl"), temp.Path, releasedOnly: false);
        var originals = Enumerable.Range(0, 3).Select(k => Pattern(37, 21, k)).ToList();
        var clip = RifeClipInterpolator.Interpolate(rife, new LoopedClip(originals, 1), factor: 3, seam: true);

        Assert.Equal(9, clip.Frames.Count);
        Assert.Equal(3, clip.StillIndex);
        for (var k = 0; k < originals.Count; k++)
        {
            Assert.Equal(originals[k].Pixels, clip.Frames[3 * k].Pixels);
        }

        // The seam frames (last → first) are RIFE's frames between frame 2 and frame 0 at 1/3 and 2/3.
        for (var step = 1; step < 3; step++)
        {
            var expected = RifeClipInterpolator.ToImage(rife.Interpolate(RifeClipInterpolator.ToPlanes(originals[2]), RifeClipInterpolator.ToPlanes(originals[0]), step / 3f));
            Assert.Equal(expected.Pixels, clip.Frames[6 + step].Pixels);
            Assert.NotEqual(originals[2].Pixels, clip.Frames[6 + step].Pixels);
            Assert.Equal(37, clip.Frames[6 + step].Width);
            Assert.Equal(21, clip.Frames[6 + step].Height);
        }
    }

    [Fact]
    public void Planes_and_images_convert_both_ways_exactly()
    {
        var image = Pattern(5, 4, 2);
        Assert.Equal(image.Pixels, RifeClipInterpolator.ToImage(RifeClipInterpolator.ToPlanes(image)).Pixels);
        Assert.Equal(image.Pixels[3 * 7 + 1] / 255f, RifeClipInterpolator.ToPlanes(image).Data[(1 * 20) + 7]);
    }

    private static RgbImage Pattern(int width, int height, int shift)
    {
        var pixels = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                for (var c = 0; c < 3; c++)
                {
                    pixels[(((y * width) + x) * 3) + c] = (byte)((((x + (2 * shift)) * 29) + (y * 13) + (c * 71)) % 256);
                }
            }
        }

        return new RgbImage(width, height, pixels);
    }
}
