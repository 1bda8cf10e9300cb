using System.Diagnostics;
using System.Net;
using ImageMagick;
using TurnLivePhotos.Media.Decoding;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Media;

/// <summary>
/// The decode budget: pixel bombs in every accepted format (a few hundred bytes declaring 100 megapixels, or a side
/// of 100,000) are refused from their header, before any pixel is allocated; a photo within the budget still
/// decodes; ImageMagick's own limits match the budget, so a size the header check did not see is refused too.
/// </summary>
public sealed class DecodeBudgetTests
{
    /// <summary>
    /// Per format, the sizes its header can state: 10000x10000 (100 MP), a long thin one each way (JPEG: libjpeg's
    /// 65500 at most; GIF: 16 bits; WebP: a VP8 frame's 14 bits, so its bomb is 16383 square).
    /// </summary>
    public static TheoryData<PhotoFormat, int, int> Bombs => new()
    {
        { PhotoFormat.Png, 10_000, 10_000 }, { PhotoFormat.Png, 100_000, 1 }, { PhotoFormat.Png, 1, 100_000_000 },
        { PhotoFormat.Bmp, 10_000, 10_000 }, { PhotoFormat.Bmp, 100_000, 1 }, { PhotoFormat.Bmp, 1, 100_000_000 },
        { PhotoFormat.Tiff, 10_000, 10_000 }, { PhotoFormat.Tiff, 100_000, 1 }, { PhotoFormat.Tiff, 1, 100_000_000 },
        { PhotoFormat.Avif, 10_000, 10_000 }, { PhotoFormat.Avif, 100_000, 1 }, { PhotoFormat.Avif, 1, 100_000_000 },
        { PhotoFormat.Jpeg, 10_000, 10_000 }, { PhotoFormat.Jpeg, 65_500, 1 }, { PhotoFormat.Jpeg, 1, 65_500 },
        { PhotoFormat.Gif, 10_000, 10_000 }, { PhotoFormat.Gif, 65_535, 1 }, { PhotoFormat.Gif, 1, 65_535 },
        { PhotoFormat.WebP, 10_000, 10_000 }, { PhotoFormat.WebP, 16_383, 16_383 },
    };

    public static TheoryData<int, int> HeifSizes => new() { { 10_000, 10_000 }, { 100_000, 1 }, { 1, 100_000_000 } };

    [Theory]
    [MemberData(nameof(Bombs))]
    public void A_pixel_bomb_is_refused_from_its_header_before_any_pixel_is_allocated(PhotoFormat format, int width, int height) =>
        AssertRefusedFromHeader(SmallBomb(format, width, height), width, height);

    [RequiresToolsTheory("heif-enc")]
    [MemberData(nameof(HeifSizes))]
    public void A_heif_whose_ispe_declares_too_much_is_refused_before_any_pixel_is_allocated(int width, int height) =>
        AssertRefusedFromHeader(SmallBomb(PhotoFormat.Heif, width, height), width, height);

    [Fact]
    public void The_default_budget_takes_a_48_megapixel_phone_photo_and_refuses_100_megapixels()
    {
        DecodeBudget.Default.Check(8064, 6048);
        DecodeBudget.Default.Check(8160, 6144);
        Assert.Throws<PhotoTooLargeException>(() => DecodeBudget.Default.Check(10_000, 10_000));
        Assert.Throws<PhotoTooLargeException>(() => DecodeBudget.Default.Check(16_385, 100));
    }

    [Theory]
    [InlineData(MagickFormat.Jpeg)]
    [InlineData(MagickFormat.Png)]
    [InlineData(MagickFormat.WebP)]
    [InlineData(MagickFormat.Gif)]
    public void A_photo_at_the_limits_decodes_and_one_pixel_more_either_way_is_refused(MagickFormat written)
    {
        var bytes = TestPhotos.Scene(64, 48, written);

        var photo = PhotoDecoder.Decode(bytes, new DecodeBudget(64 * 48, 64));

        Assert.Equal((64, 48), (photo.Image.Width, photo.Image.Height));
        var side = Assert.Throws<PhotoTooLargeException>(() => PhotoDecoder.Decode(bytes, new DecodeBudget(64 * 48, 63)));
        Assert.Contains("63 pixels a side", side.Message, StringComparison.Ordinal);
        var pixels = Assert.Throws<PhotoTooLargeException>(() => PhotoDecoder.Check(bytes, new DecodeBudget((64 * 48) - 1, 64)));
        Assert.Contains("64x48", pixels.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ImageMagicks_resource_limits_match_the_budget_in_force()
    {
        ImageMagickLimits.EnsureApplied();
        var budget = ImageMagickLimits.Current;

        Assert.Equal((ulong)budget.MaxSidePixels, ResourceLimits.Width);
        Assert.Equal((ulong)budget.MaxSidePixels, ResourceLimits.Height);
        Assert.Equal((ulong)budget.MaxPixels, ResourceLimits.Area);
        Assert.InRange(ResourceLimits.Memory, (ulong)budget.MaxPixels * 3, (ulong)budget.MaxPixels * 16);
        Assert.InRange(ResourceLimits.Disk, ResourceLimits.Memory, (ulong)budget.MaxPixels * 64);
        Assert.InRange(ResourceLimits.MaxMemoryRequest, (ulong)budget.MaxPixels * 3, (ulong)budget.MaxPixels * 8);
    }

    [Theory]
    [InlineData(PhotoFormat.Jpeg)]
    [InlineData(PhotoFormat.Gif)]
    [InlineData(PhotoFormat.Tiff)]
    [InlineData(PhotoFormat.Avif)]
    public void A_size_the_header_check_lets_through_is_still_refused_by_imagemagicks_own_limits(PhotoFormat format)
    {
        ImageMagickLimits.EnsureApplied();
        var wider = ImageMagickLimits.Current.MaxSidePixels + 16;
        var bytes = PixelBombs.Declaring(format, wider, 16);

        var error = Assert.Throws<PhotoTooLargeException>(() => PhotoDecoder.Decode(bytes, new DecodeBudget(long.MaxValue, int.MaxValue)));

        Assert.Contains("decoding limits", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("/tmp", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// An iPhone HEIC is a grid of 512-pixel tiles: its size is the grid item's ispe (the primary item), never a tile's.
    /// Raising that ispe is refused from the header; raising the grid's own output size past what its tiles cover is
    /// refused by libheif before it allocates the canvas.
    /// </summary>
    [RequiresSharedSamplesFact]
    public void An_iphone_grid_heic_is_judged_by_its_primary_items_ispe_and_a_lying_grid_is_refused()
    {
        var original = File.ReadAllBytes(PhoneSamples.Shared("iphone_IMG_3853.HEIC"));
        Assert.Equal(PhotoFormat.Heif, PhotoDecoder.Check(original, DecodeBudget.Default));
        Assert.Throws<PhotoTooLargeException>(() => PhotoDecoder.Check(original, new DecodeBudget(5712 * 4284, 5711)));

        var ispe = (byte[])original.Clone();
        var patched = 0;
        for (var at = ispe.AsSpan().IndexOf("ispe"u8); at >= 0; at = NextIndex(ispe, "ispe"u8, at + 4))
        {
            if (System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(ispe.AsSpan(at + 8)) == 5712)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(ispe.AsSpan(at + 8), 10_000);
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(ispe.AsSpan(at + 12), 10_000);
                patched++;
            }
        }

        Assert.True(patched > 0);
        AssertRefusedFromHeader(ispe, 10_000, 10_000);

        var grid = (byte[])original.Clone();
        var descriptor = grid.AsSpan().IndexOf("idat"u8) + 4; // ImageGrid: version, flags (0: 16-bit sizes), rows-1, columns-1, width, height
        Assert.Equal(5712, System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(grid.AsSpan(descriptor + 4)));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(grid.AsSpan(descriptor + 4), 16_000);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(grid.AsSpan(descriptor + 6), 16_000);
        var clock = Stopwatch.StartNew();
        var error = Assert.ThrowsAny<Exception>(() => PhotoDecoder.Decode(grid, DecodeBudget.Default));
        Assert.True(error is UnsupportedPhotoException or PhotoTooLargeException, error.ToString());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void The_settings_carry_both_limits_and_default_to_the_budget()
    {
        using var folder = new TempFolder();
        var defaults = TurnLivePhotos.Core.Configuration.SettingsLoader.Load(folder.Write("empty.ini", string.Empty));
        var configured = TurnLivePhotos.Core.Configuration.SettingsLoader.Load(folder.Write("c.ini", "[InputOptions]\nMaxMegapixels=12\nMaxSidePixels=5000\n"));

        Assert.Equal(DecodeBudget.Default, defaults.Input.Budget);
        Assert.Equal(new DecodeBudget(12_000_000, 5000), configured.Input.Budget);
        var error = Assert.Throws<TurnLivePhotos.Core.Configuration.SettingsException>(() =>
            TurnLivePhotos.Core.Configuration.SettingsLoader.Load(folder.Write("bad.ini", "[InputOptions]\nMaxSidePixels=10\n")));
        Assert.Contains("MaxSidePixels", error.Message, StringComparison.Ordinal);
    }

    [RequiresToolsFact("heif-enc")]
    public async Task The_server_answers_every_formats_bomb_413_on_both_upload_routes_and_then_converts_a_photo()
    {
        await using var server = await RunningServer.StartAsync();
        var bombs = Enum.GetValues<PhotoFormat>().Select(format => (format, PixelBombs.Declaring(format, 10_000, 10_000)))
            .Append((PhotoFormat.Png, PixelBombs.Declaring(PhotoFormat.Png, 1, 100_000_000)));

        foreach (var (format, bomb) in bombs)
        {
            using var generate = await server.GenerateAsync(bomb, "bomb.bin");
            var message = await Server.GenerateEndpointTests.AssertMessageAsync(generate, HttpStatusCode.RequestEntityTooLarge, "megapixels");
            Assert.DoesNotContain("/tmp", message, StringComparison.Ordinal);
            using var job = await server.Client.PostAsync("api/v1/jobs", RunningServer.Form(bomb, "bomb.bin"));
            Assert.True(job.StatusCode == HttpStatusCode.RequestEntityTooLarge, $"{format}: {job.StatusCode}");
        }

        using var photo = await server.GenerateAsync(TestPhotos.Scene(240, 160), "photo.jpg");
        Assert.Equal(HttpStatusCode.OK, photo.StatusCode);
    }

    [Fact]
    public async Task The_server_enforces_its_own_settings_side_limit_on_both_upload_routes()
    {
        await using var server = await RunningServer.StartAsync(s => s with { Input = s.Input with { MaxSidePixels = 200 } });
        var wide = TestPhotos.Scene(240, 100);

        using var generate = await server.GenerateAsync(wide, "wide.jpg");
        using var job = await server.Client.PostAsync("api/v1/jobs", RunningServer.Form(wide, "wide.jpg"));
        using var fitting = await server.GenerateAsync(TestPhotos.Scene(200, 100), "fitting.jpg");

        await Server.GenerateEndpointTests.AssertMessageAsync(generate, HttpStatusCode.RequestEntityTooLarge, "200 pixels a side");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, job.StatusCode);
        Assert.Equal(HttpStatusCode.OK, fitting.StatusCode);
    }

    private static int NextIndex(byte[] bytes, ReadOnlySpan<byte> pattern, int from)
    {
        var index = bytes.AsSpan(from).IndexOf(pattern);
        return index < 0 ? -1 : from + index;
    }

    private static byte[] SmallBomb(PhotoFormat format, int width, int height)
    {
        var bytes = PixelBombs.Declaring(format, width, height);
        Assert.InRange(bytes.Length, 1, 8192);
        return bytes;
    }

    private static void AssertRefusedFromHeader(byte[] bytes, int width, int height)
    {
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();

        var error = Assert.Throws<PhotoTooLargeException>(() => PhotoDecoder.Decode(bytes, DecodeBudget.Default));

        clock.Stop();
        var managed = GC.GetAllocatedBytesForCurrentThread() - allocated;
        Assert.Contains($"{width}x{height}", error.Message, StringComparison.Ordinal);
        Assert.True(managed < 1 << 20, $"{managed} bytes allocated while refusing (a decoded row or image would be far more)");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"refusing took {clock.Elapsed}");
    }
}
