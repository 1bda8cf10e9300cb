using TurnLivePhotos.Engine;
using TurnLivePhotos.Engine.Classic;
using TurnLivePhotos.Media;
using TurnLivePhotos.Media.Decoding;
using TurnLivePhotos.Media.Formats;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Media;

public sealed class GifWriterTests
{
    [Theory]
    [InlineData(25, 7)]
    [InlineData(14, 6)]
    [InlineData(10, 10)]
    [InlineData(72, 24)]
    public async Task The_gif_decodes_back_to_the_configured_frames_and_timing_and_loops_forever(int frames, int fps)
    {
        using var folder = new TempFolder();
        var photo = PhotoDecoder.Decode(TestPhotos.Scene(200, 120)).Image;
        var clip = await new ClassicMotionEngine().GenerateAsync(new MotionParameters { Frames = frames, Fps = fps }.ToRequest(photo), null, CancellationToken.None);

        GifWriter.Write(clip.Frames, fps, folder["clip.gif"]);

        var gif = GifInfo.Read(await File.ReadAllBytesAsync(folder["clip.gif"]));
        Assert.Equal(frames, gif.Frames);
        Assert.Equal(0u, gif.Iterations);
        Assert.Equal((200u, 120u), (gif.Width, gif.Height));
        var exact = 100.0 / fps;
        Assert.All(gif.Delays, delay => Assert.InRange(delay, Math.Floor(exact), Math.Ceiling(exact)));
        Assert.Equal(Math.Round(frames * exact, MidpointRounding.AwayFromZero), gif.Delays.Sum());
        Assert.Empty(Directory.GetFiles(folder.Path, "*.partial"));
    }

    [Fact]
    public void Delays_keep_the_exact_rate_over_the_clip()
    {
        var delays = GifWriter.FrameDelays(7, 7);

        Assert.Equal(100, delays.Sum());
        Assert.All(delays, d => Assert.InRange(d, 14, 15));
    }

    [Fact]
    public async Task The_palette_is_dithered_so_gradients_do_not_band()
    {
        var photo = PhotoDecoder.Decode(TestPhotos.Scene(256, 64)).Image;
        var clip = await new ClassicMotionEngine().GenerateAsync(new MotionParameters { Frames = 2, MotionBucketId = 0 }.ToRequest(photo), null, CancellationToken.None);

        var decoded = PhotoDecoder.Decode(GifWriter.Encode(clip.Frames, 7)).Image;

        Assert.True(TurnLivePhotos.Tests.Engine.ClassicMotionEngineTests.MeanAbsoluteDifference(clip.Frames[0], decoded) < 6);
    }

    [Fact]
    public void A_failed_write_leaves_neither_the_file_nor_a_temporary()
    {
        using var folder = new TempFolder();

        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(folder["out.gif"], stream =>
        {
            stream.Write(new byte[1000]);
            throw new InvalidOperationException("encoder failed half-way");
        }));

        Assert.Empty(Directory.GetFileSystemEntries(folder.Path));
    }

    [Fact]
    public void A_rewrite_replaces_the_old_file_whole()
    {
        using var folder = new TempFolder();
        AtomicFile.WriteAllBytes(folder["x.bin"], new byte[10]);

        AtomicFile.WriteAllBytes(folder["x.bin"], new byte[3]);

        Assert.Equal(3, new FileInfo(folder["x.bin"]).Length);
        Assert.Single(Directory.GetFileSystemEntries(folder.Path));
    }
}
