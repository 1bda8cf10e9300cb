using TurnLivePhotos.Media.Imaging;

namespace TurnLivePhotos.Media.Colour;

/// <summary>
/// Display P3 pixels to sRGB: the sRGB curve decoded through a table, the 3×3 matrix from P3's primaries to sRGB's
/// (both D65, so no white-point adaptation), colours outside sRGB clipped, and the curve encoded through a table.
/// Both spaces are matrix/curve spaces, so this is what a colour-management engine computes for them with relative
/// colorimetric intent; it is done here because the frames are converted one by one as the engine makes them and
/// this costs a fraction of a round trip through Magick.NET per frame (docs/benchmarks.md, "Colour").
/// </summary>
public static class DisplayP3ToSrgb
{
    private const int EncodeSteps = 16384;

    private static readonly float[] Decode = [.. Enumerable.Range(0, 256).Select(v => (float)IccProfileSpace.SrgbToLinear(v / 255.0))];
    private static readonly byte[] Encode = [.. Enumerable.Range(0, EncodeSteps + 1).Select(i => (byte)Math.Round(255 * LinearToSrgb(i / (double)EncodeSteps)))];
    private static readonly float[] Matrix = BuildMatrix();

    public static RgbImage Convert(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var source = image.Pixels;
        var pixels = new byte[source.Length];
        var m = Matrix;
        for (var i = 0; i < source.Length; i += 3)
        {
            float r = Decode[source[i]], g = Decode[source[i + 1]], b = Decode[source[i + 2]];
            pixels[i] = Encode[Index((m[0] * r) + (m[1] * g) + (m[2] * b))];
            pixels[i + 1] = Encode[Index((m[3] * r) + (m[4] * g) + (m[5] * b))];
            pixels[i + 2] = Encode[Index((m[6] * r) + (m[7] * g) + (m[8] * b))];
        }

        return new RgbImage(image.Width, image.Height, pixels);
    }

    private static int Index(float linear) => (int)((Math.Clamp(linear, 0f, 1f) * EncodeSteps) + 0.5f);

    /// <summary>The sRGB opto-electronic transfer (IEC 61966-2-1 §5.3).</summary>
    private static double LinearToSrgb(double linear) =>
        linear <= 0.0031308 ? 12.92 * linear : (1.055 * Math.Pow(linear, 1 / 2.4)) - 0.055;

    /// <summary>
    /// sRGB's RGB→XYZ inverted, times P3's RGB→XYZ, each built from the primaries' and D65's chromaticities (SMPTE RP
    /// 177 §3.3): P3 from SMPTE EG 432-1, sRGB (= BT.709) from IEC 61966-2-1.
    /// </summary>
    private static float[] BuildMatrix()
    {
        (double X, double Y)[] p3 = [(0.680, 0.320), (0.265, 0.690), (0.150, 0.060)];
        (double X, double Y)[] srgb = [(0.640, 0.330), (0.300, 0.600), (0.150, 0.060)];
        var white = (X: 0.3127, Y: 0.3290);
        var toSrgb = Multiply(Invert(RgbToXyz(srgb, white)), RgbToXyz(p3, white));
        return [.. toSrgb.Select(v => (float)v)];
    }

    private static double[] RgbToXyz((double X, double Y)[] primaries, (double X, double Y) white)
    {
        // Columns: each primary's XYZ at Y = 1, then scaled so that R = G = B = 1 gives the white point at Y = 1.
        var columns = new double[9];
        for (var c = 0; c < 3; c++)
        {
            var (x, y) = primaries[c];
            columns[c] = x / y;
            columns[3 + c] = 1;
            columns[6 + c] = (1 - x - y) / y;
        }

        var w = new[] { white.X / white.Y, 1, (1 - white.X - white.Y) / white.Y };
        var inverse = Invert(columns);
        var scale = Enumerable.Range(0, 3).Select(r => (inverse[r * 3] * w[0]) + (inverse[(r * 3) + 1] * w[1]) + (inverse[(r * 3) + 2] * w[2])).ToArray();
        return [.. Enumerable.Range(0, 9).Select(i => columns[i] * scale[i % 3])];
    }

    private static double[] Multiply(double[] a, double[] b) =>
        [.. Enumerable.Range(0, 9).Select(i => Enumerable.Range(0, 3).Sum(k => a[(i / 3 * 3) + k] * b[(k * 3) + (i % 3)]))];

    private static double[] Invert(double[] m)
    {
        var det = (m[0] * ((m[4] * m[8]) - (m[5] * m[7]))) - (m[1] * ((m[3] * m[8]) - (m[5] * m[6]))) + (m[2] * ((m[3] * m[7]) - (m[4] * m[6])));
        return
        [
            ((m[4] * m[8]) - (m[5] * m[7])) / det, ((m[2] * m[7]) - (m[1] * m[8])) / det, ((m[1] * m[5]) - (m[2] * m[4])) / det,
            ((m[5] * m[6]) - (m[3] * m[8])) / det, ((m[0] * m[8]) - (m[2] * m[6])) / det, ((m[2] * m[3]) - (m[0] * m[5])) / det,
            ((m[3] * m[7]) - (m[4] * m[6])) / det, ((m[1] * m[6]) - (m[0] * m[7])) / det, ((m[0] * m[4]) - (m[1] * m[3])) / det,
        ];
    }
}
