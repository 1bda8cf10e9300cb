using TurnLivePhotos.Engine;
using TurnLivePhotos.Engine.Classic;
using TurnLivePhotos.Media.Decoding;
using TurnLivePhotos.Media.Imaging;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Engine;

public sealed class ClassicMotionEngineTests
{
    private static readonly RgbImage Photo = PhotoDecoder.Decode(TestPhotos.Scene(480, 320)).Image;

    [Fact]
    public async Task The_same_photo_and_parameters_give_the_same_frames()
    {
        var parameters = new MotionParameters { Frames = 8, Seed = 3 };

        var first = await GenerateAsync(Photo, parameters);
        var second = await GenerateAsync(Photo, parameters);

        Assert.Equal(first.Frames.Count, second.Frames.Count);
        for (var i = 0; i < first.Frames.Count; i++)
        {
            Assert.True(first.Frames[i].Pixels.AsSpan().SequenceEqual(second.Frames[i].Pixels), $"frame {i} differs");
        }
    }

    [Fact]
    public async Task The_last_frame_flows_into_the_first()
    {
        var clip = await GenerateAsync(Photo, new MotionParameters { Frames = 16, MotionBucketId = 255 });
        var steps = Enumerable.Range(1, clip.Frames.Count - 1).Select(i => MeanAbsoluteDifference(clip.Frames[i - 1], clip.Frames[i])).ToList();

        var wrap = MeanAbsoluteDifference(clip.Frames[^1], clip.Frames[0]);

        Assert.True(steps.Max() > 0.5, "the clip should move");
        Assert.True(wrap <= steps.Max() * 1.05, $"the jump from last to first ({wrap:0.00}) is larger than any step inside the clip ({steps.Max():0.00})");
        Assert.True(wrap <= steps.Average() * 1.5, $"the loop seam ({wrap:0.00}) stands out from the average step ({steps.Average():0.00})");
    }

    [Fact]
    public async Task Motion_bucket_scales_the_amplitude()
    {
        double Amplitude(MotionClip clip) => MeanAbsoluteDifference(clip.Frames[0], clip.Frames[clip.Frames.Count / 2]);

        var none = await GenerateAsync(Photo, new MotionParameters { Frames = 6, MotionBucketId = 0 });
        var some = await GenerateAsync(Photo, new MotionParameters { Frames = 6, MotionBucketId = 100 });
        var lots = await GenerateAsync(Photo, new MotionParameters { Frames = 6, MotionBucketId = 255 });

        Assert.True(Amplitude(none) < 0.01);
        Assert.True(Amplitude(some) > 0.5);
        Assert.True(Amplitude(lots) > Amplitude(some) * 1.2);
    }

    [Fact]
    public void The_push_in_stays_within_eight_percent_and_inside_the_photo()
    {
        for (var phase = 0.0; phase < 1; phase += 0.01)
        {
            var camera = ClassicMotionEngine.CameraAt(phase, 255, seed: 11);
            Assert.InRange(camera.Zoom, 1.0, 1.08);
            Assert.InRange(Math.Abs(camera.ShiftX), 0, 1);
            Assert.InRange(Math.Abs(camera.ShiftY), 0, 1);
        }
    }

    [Theory]
    [InlineData(4000, 3000, 1024, 768)]
    [InlineData(3000, 4000, 768, 1024)]
    [InlineData(640, 360, 640, 360)]
    [InlineData(1023, 575, 1024, 576)]
    public void Frames_keep_the_photo_aspect_with_the_long_side_up_to_1024(int width, int height, int expectedWidth, int expectedHeight)
    {
        Assert.Equal((expectedWidth, expectedHeight), ClassicMotionEngine.FrameSize(width, height));
    }

    [Fact]
    public async Task A_portrait_photo_gives_portrait_frames_and_progress_is_reported()
    {
        var portrait = PhotoDecoder.Decode(TestPhotos.Scene(300, 500)).Image;
        var events = new List<MotionProgress>();

        var clip = await new ClassicMotionEngine().GenerateAsync(
            new MotionParameters { Frames = 5 }.ToRequest(portrait), new SynchronousProgress<MotionProgress>(events.Add), CancellationToken.None);

        Assert.All(clip.Frames, frame => Assert.True(frame.Height > frame.Width));
        Assert.Equal(Enumerable.Range(1, 5), events.Select(e => e.Step));
        Assert.False(clip.IsGenerative);
    }

    [Fact]
    public async Task Cancellation_stops_the_engine()
    {
        using var cancel = new CancellationTokenSource();
        var progress = new SynchronousProgress<MotionProgress>(step => { if (step.Step == 2) { cancel.Cancel(); } });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new ClassicMotionEngine().GenerateAsync(new MotionParameters { Frames = 50 }.ToRequest(Photo), progress, cancel.Token));
    }

    internal static double MeanAbsoluteDifference(RgbImage a, RgbImage b)
    {
        Assert.Equal((a.Width, a.Height), (b.Width, b.Height));
        long total = 0;
        for (var i = 0; i < a.Pixels.Length; i++)
        {
            total += Math.Abs(a.Pixels[i] - b.Pixels[i]);
        }

        return (double)total / a.Pixels.Length;
    }

    private static Task<MotionClip> GenerateAsync(RgbImage photo, MotionParameters parameters) =>
        new ClassicMotionEngine().GenerateAsync(parameters.ToRequest(photo), null, CancellationToken.None);
}

public sealed class MotionProgressTests
{
    [Fact]
    public void Overall_progress_never_goes_back_across_the_stages_of_an_svd_job()
    {
        var events = new List<MotionProgress> { new("encode", 0, 2), new("encode", 2, 2) };
        events.AddRange(Enumerable.Range(1, 25).Select(i => new MotionProgress("denoise", i, 25)));
        events.AddRange(Enumerable.Range(1, 4).Select(i => new MotionProgress("decode", i, 4)));
        events.Add(new MotionProgress("write", 1, 1));

        var overall = events.Select(e => e.OverallFraction).ToList();

        Assert.Equal(overall.Order(), overall);
        Assert.Equal(1.0, overall[^1]);
        Assert.Equal("denoise 3/25", events[4].ToString());
    }
}
