using TurnLivePhotos.Media.Imaging;

namespace TurnLivePhotos.Engine.Depth;

/// <summary>
/// Pillow's <c>Image.resize(size, BICUBIC)</c> on 8-bit RGB, bit for bit (Pillow's Resample.c, which
/// transformers' DPTImageProcessor calls): a separable convolution with the a = −0.5 cubic whose support widens
/// with the reduction factor (so downscaling is anti-aliased), coefficients normalised per output pixel and turned
/// into 22-bit fixed point, the horizontal pass first into an 8-bit image, then the vertical pass, each rounded and
/// clipped. Written out rather than taken from an image library because the reference numbers depend on exactly
/// these roundings (ImageMagick's and ONNX's cubic differ by a few levels per pixel, ~0.05 after normalisation).
/// </summary>
public static class PillowBicubic
{
    private const int PrecisionBits = 32 - 8 - 2;
    private const double Support = 2.0;

    public static RgbImage Resize(RgbImage image, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (width == image.Width && height == image.Height)
        {
            return new RgbImage(width, height, (byte[])image.Pixels.Clone());
        }

        var (boundsX, kernelX, sizeX) = Coefficients(image.Width, width);
        var (boundsY, kernelY, sizeY) = Coefficients(image.Height, height);
        var firstRow = boundsY[0];
        var lastRow = boundsY[2 * (height - 1)] + boundsY[(2 * (height - 1)) + 1];

        // Horizontal pass over the rows the vertical pass will read.
        var rows = lastRow - firstRow;
        var temp = new byte[rows * width * 3];
        var source = image.Pixels;
        Parallel.For(0, rows, y =>
        {
            var inRow = (y + firstRow) * image.Width * 3;
            var outRow = y * width * 3;
            for (var x = 0; x < width; x++)
            {
                var min = boundsX[2 * x];
                var count = boundsX[(2 * x) + 1];
                var k = x * sizeX;
                for (var c = 0; c < 3; c++)
                {
                    var sum = 1 << (PrecisionBits - 1);
                    for (var t = 0; t < count; t++)
                    {
                        sum += source[inRow + ((min + t) * 3) + c] * kernelX[k + t];
                    }

                    temp[outRow + (x * 3) + c] = Clip8(sum);
                }
            }
        });

        var output = new byte[width * height * 3];
        Parallel.For(0, height, y =>
        {
            var min = boundsY[2 * y] - firstRow;
            var count = boundsY[(2 * y) + 1];
            var k = y * sizeY;
            var outRow = y * width * 3;
            for (var i = 0; i < width * 3; i++)
            {
                var sum = 1 << (PrecisionBits - 1);
                for (var t = 0; t < count; t++)
                {
                    sum += temp[((min + t) * width * 3) + i] * kernelY[k + t];
                }

                output[outRow + i] = Clip8(sum);
            }
        });

        return new RgbImage(width, height, output);
    }

    private static byte Clip8(int value) => value >= (1 << PrecisionBits << 8) ? (byte)255 : value <= 0 ? (byte)0 : (byte)(value >> PrecisionBits);

    private static double Cubic(double x)
    {
        const double a = -0.5;
        x = Math.Abs(x);
        return x < 1.0 ? ((((a + 2.0) * x) - (a + 3.0)) * x * x) + 1 : x < 2.0 ? ((((x - 5) * x) + 8) * x - 4) * a : 0.0;
    }

    /// <summary>Per output pixel: first input index and tap count (bounds), and the fixed-point weights (kernel, stride size).</summary>
    private static (int[] Bounds, int[] Kernel, int Size) Coefficients(int inSize, int outSize)
    {
        var scale = (double)inSize / outSize;
        var filterScale = Math.Max(scale, 1.0);
        var support = Support * filterScale;
        var size = ((int)Math.Ceiling(support) * 2) + 1;
        var bounds = new int[outSize * 2];
        var kernel = new int[outSize * size];
        var weights = new double[size];
        for (var xx = 0; xx < outSize; xx++)
        {
            var center = (xx + 0.5) * scale;
            var min = Math.Max(0, (int)(center - support + 0.5));
            var max = Math.Min(inSize, (int)(center + support + 0.5)) - min;
            var total = 0.0;
            for (var x = 0; x < max; x++)
            {
                weights[x] = Cubic((x + min - center + 0.5) / filterScale);
                total += weights[x];
            }

            for (var x = 0; x < max; x++)
            {
                var w = total != 0.0 ? weights[x] / total : weights[x];
                kernel[(xx * size) + x] = w < 0 ? (int)(-0.5 + (w * (1 << PrecisionBits))) : (int)(0.5 + (w * (1 << PrecisionBits)));
            }

            bounds[2 * xx] = min;
            bounds[(2 * xx) + 1] = max;
        }

        return (bounds, kernel, size);
    }
}
