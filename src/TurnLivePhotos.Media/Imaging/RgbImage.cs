namespace TurnLivePhotos.Media.Imaging;

/// <summary>8-bit RGB pixels, row-major, tightly packed (3 bytes a pixel, no row padding).</summary>
public sealed class RgbImage
{
    public RgbImage(int width, int height, byte[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.LongLength != (long)width * height * 3)
        {
            throw new ArgumentException($"expected {(long)width * height * 3} bytes for {width}x{height} RGB, got {pixels.LongLength}", nameof(pixels));
        }

        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public int Width { get; }

    public int Height { get; }

    public byte[] Pixels { get; }

    public double AspectRatio => (double)Width / Height;

    public ReadOnlySpan<byte> Row(int y) => Pixels.AsSpan(y * Width * 3, Width * 3);
}
