using ImageMagick;
using TurnLivePhotos.Media.Decoding;
using TurnLivePhotos.Media.Jpeg;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Media;

public sealed class PhotoDecoderTests
{
    [Theory]
    [InlineData(MagickFormat.Jpeg, PhotoFormat.Jpeg)]
    [InlineData(MagickFormat.Png, PhotoFormat.Png)]
    [InlineData(MagickFormat.WebP, PhotoFormat.WebP)]
    [InlineData(MagickFormat.Bmp, PhotoFormat.Bmp)]
    [InlineData(MagickFormat.Tiff, PhotoFormat.Tiff)]
    [InlineData(MagickFormat.Gif, PhotoFormat.Gif)]
    [InlineData(MagickFormat.Avif, PhotoFormat.Avif)]
    public void Each_accepted_format_is_recognised_by_its_bytes_and_decoded(MagickFormat written, PhotoFormat expected)
    {
        var bytes = TestPhotos.Scene(64, 48, written);

        var photo = PhotoDecoder.Decode(bytes);

        Assert.Equal(expected, photo.Format);
        Assert.Equal((64, 48), (photo.Image.Width, photo.Image.Height));
    }

    [Theory]
    [InlineData(1, 1, 1000)]
    [InlineData(1, 255, 1000)]
    [InlineData(0, 0, 100)]
    public void An_icc_profile_that_cannot_be_read_is_dropped_and_the_photo_decodes(byte sequence, byte count, int length)
    {
        var icc = new JpegSegment(0xE2, [.. "ICC_PROFILE\0"u8, sequence, count, .. new byte[length]]);
        var photo = HostileMetadata.WithSegments(TestPhotos.Scene(64, 48), icc);

        var decoded = PhotoDecoder.Decode(photo);

        Assert.Equal((64, 48), (decoded.Image.Width, decoded.Image.Height));
    }

    [Theory]
    [InlineData(2, 3)]
    [InlineData(9, 10)]
    [InlineData(1, 1)]
    public void A_jpeg_cut_short_is_refused_instead_of_decoded_with_a_grey_rest(int keep, int of)
    {
        var whole = TestPhotos.Scene(320, 240, seed: 3);
        // 1 of 1: the whole file but its end-of-image marker, which libjpeg also reports as a premature end.
        var cut = keep == of ? whole[..^2] : whole[..(whole.Length * keep / of)];

        var error = Assert.Throws<UnsupportedPhotoException>(() => PhotoDecoder.Decode(cut));

        Assert.Contains("cut short", error.Message, StringComparison.Ordinal);
        Assert.Equal((320, 240), (PhotoDecoder.Decode(whole).Image.Width, PhotoDecoder.Decode(whole).Image.Height));
    }

    [Fact]
    public void Exif_orientation_6_gives_an_upright_portrait()
    {
        var photo = PhotoDecoder.Decode(TestPhotos.JpegWithOrientation6(storedWidth: 160, storedHeight: 100));

        Assert.Equal((100, 160), (photo.Image.Width, photo.Image.Height));
    }

    [Fact]
    public void Only_the_first_frame_of_an_animated_gif_is_used()
    {
        using var frames = new MagickImageCollection { new MagickImage(MagickColors.Red, 20, 20), new MagickImage(MagickColors.Blue, 20, 20) };

        var photo = PhotoDecoder.Decode(frames.ToByteArray(MagickFormat.Gif));

        Assert.Equal([255, 0, 0], photo.Image.Pixels[..3]);
    }

    [Fact]
    public void Alpha_is_flattened_on_white()
    {
        using var transparent = new MagickImage(MagickColors.Transparent, 10, 10);

        var photo = PhotoDecoder.Decode(transparent.ToByteArray(MagickFormat.Png));

        Assert.All(photo.Image.Pixels, value => Assert.Equal(255, value));
    }

    [Fact]
    public void Grayscale_sixteen_bit_and_cmyk_photos_become_rgb()
    {
        using var gray = new MagickImage(new MagickColor("#808080"), 8, 8) { ColorType = ColorType.Grayscale, Depth = 16 };
        using var cmyk = TestPhotos.SceneImage(16, 16);
        cmyk.ColorSpace = ColorSpace.CMYK;

        var grayPhoto = PhotoDecoder.Decode(gray.ToByteArray(MagickFormat.Png));
        var cmykPhoto = PhotoDecoder.Decode(cmyk.ToByteArray(MagickFormat.Jpeg));

        Assert.InRange(grayPhoto.Image.Pixels[0], 120, 136);
        Assert.Equal(grayPhoto.Image.Pixels[0], grayPhoto.Image.Pixels[1]);
        Assert.Equal(16 * 16 * 3, cmykPhoto.Image.Pixels.Length);
    }

    [Theory]
    [InlineData("plain text")]
    [InlineData("<svg xmlns=\"http://www.w3.org/2000/svg\"/>")]
    [InlineData("push graphic-context\nviewbox 0 0 640 480\n")]
    [InlineData("")]
    public void Anything_else_is_refused_by_its_bytes(string content)
    {
        var error = Assert.Throws<UnsupportedPhotoException>(() => PhotoDecoder.Decode(System.Text.Encoding.UTF8.GetBytes(content)));

        Assert.Contains("not a supported image", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_decompression_bomb_is_refused_from_its_header()
    {
        var error = Assert.Throws<PhotoTooLargeException>(() => PhotoDecoder.Decode(TestPhotos.PngDeclaring(40_000, 40_000)));

        Assert.Contains("40000x40000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_pixel_limit_is_configurable()
    {
        var bytes = TestPhotos.Scene(100, 100, MagickFormat.Png);

        Assert.Throws<PhotoTooLargeException>(() => PhotoDecoder.Decode(bytes, maxPixels: 9_999));
        Assert.Equal(100, PhotoDecoder.Decode(bytes, maxPixels: 10_000).Image.Width);
    }
}
