using TurnLivePhotos.Engine;
using TurnLivePhotos.Engine.Classic;
using TurnLivePhotos.Media.Formats;
using TurnLivePhotos.Media.Imaging;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Media;

/// <summary>Frames still being made: writers take each as it arrives, and an engine's failure reaches every reader.</summary>
public sealed class ArrivingFramesTests
{
    private static RgbImage Frame(int value) => new(4, 2, Enumerable.Repeat((byte)value, 4 * 2 * 3).ToArray());

    [Fact]
    public async Task A_frame_is_read_once_it_arrives_and_completion_waits_for_the_last()
    {
        var frames = new ArrivingFrames(3);
        var second = frames.WhenReady(1, CancellationToken.None).AsTask();
        var blockingRead = Task.Run(() => frames[2]);

        frames.Set(1, Frame(11));
        Assert.Equal(11, (await second).Pixels[0]);
        Assert.False(blockingRead.IsCompleted);
        Assert.False(frames.Completion.IsCompleted);

        frames.Set(2, Frame(22));
        frames.Set(0, Frame(0));
        Assert.Equal(22, (await blockingRead).Pixels[0]);
        await frames.Completion;
        Assert.Equal([0, 11, 22], frames.Select(frame => (int)frame.Pixels[0]));
        Assert.Throws<InvalidOperationException>(() => frames.Set(1, Frame(1)));
    }

    [Fact]
    public async Task A_failed_engine_fails_every_missing_frame_and_keeps_the_ones_made()
    {
        var frames = new ArrivingFrames(3);
        frames.Set(0, Frame(5));
        var waiting = frames.WhenReady(2, CancellationToken.None).AsTask();

        frames.Fail(new InvalidOperationException("the renderer broke"));

        Assert.Equal("the renderer broke", (await Assert.ThrowsAsync<InvalidOperationException>(() => waiting)).Message);
        Assert.Throws<InvalidOperationException>(() => frames[1]);
        Assert.Equal(5, frames[0].Pixels[0]);
        await Assert.ThrowsAsync<InvalidOperationException>(() => frames.Completion);

        var cancelled = new ArrivingFrames(2);
        cancelled.Fail(new OperationCanceledException());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WhenReady(1, CancellationToken.None).AsTask());
        Assert.True(cancelled.Completion.IsCanceled);
    }

    [Theory]
    [InlineData(LoopMode.Forward)]
    [InlineData(LoopMode.PingPong)]
    [InlineData(LoopMode.Crossfade)]
    public async Task A_loop_over_arriving_frames_is_the_loop_over_the_made_frames(LoopMode mode)
    {
        var made = Enumerable.Range(0, 9).Select(i => Frame(i * 20)).ToList();
        var arriving = new ArrivingFrames(made.Count);
        var looped = LoopSequence.Build(arriving, mode);
        var expected = LoopSequence.Build(made, mode);

        // Reading starts before any frame exists; the frames then come in the order the cinematic engine makes them.
        var reads = Enumerable.Range(0, looped.Frames.Count).Select(i => ((IArrivingFrames)looped.Frames).WhenReady(i, CancellationToken.None).AsTask()).ToList();
        foreach (var i in new[] { 0 }.Concat(Enumerable.Range(1, made.Count - 1).Reverse()))
        {
            arriving.Set(i, made[i]);
        }

        Assert.Equal(expected.StillIndex, looped.StillIndex);
        Assert.Equal(expected.Frames.Select(frame => frame.Pixels), (await Task.WhenAll(reads)).Select(frame => frame.Pixels));
    }

    [Fact]
    public async Task A_ping_pong_starts_playing_as_soon_as_the_last_frame_is_made()
    {
        var arriving = new ArrivingFrames(5);
        var looped = (IArrivingFrames)LoopSequence.Build(arriving, LoopMode.PingPong).Frames;

        arriving.Set(4, Frame(44));

        Assert.Equal(44, (await looped.WhenReady(0, CancellationToken.None)).Pixels[0]);
        Assert.False(looped.WhenReady(1, CancellationToken.None).IsCompleted);
    }

    [RequiresToolsFact("ffmpeg")]
    public async Task An_encode_fed_frames_as_they_arrive_is_the_encode_of_the_finished_frames()
    {
        var photo = TurnLivePhotos.Media.Decoding.PhotoDecoder.Decode(TestPhotos.Scene(160, 120)).Image;
        var made = (await new ClassicMotionEngine().GenerateAsync(new MotionParameters { Frames = 6, MotionBucketId = 255 }.ToRequest(photo), null, CancellationToken.None)).Frames;
        var encoder = new FfmpegEncoder();
        var ready = await encoder.EncodeAsync(made, 7, null, "mp4", 160, 120);

        var arriving = new ArrivingFrames(made.Count);
        var encoding = encoder.EncodeAsync(arriving, 7, null, "mp4", 160, 120);
        for (var i = 0; i < made.Count; i++)
        {
            await Task.Delay(20);
            Assert.False(encoding.IsCompleted);
            arriving.Set(i, made[i]);
        }

        Assert.Equal(ready, await encoding);
    }
}
