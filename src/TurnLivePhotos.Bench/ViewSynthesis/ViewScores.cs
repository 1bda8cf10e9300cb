namespace TurnLivePhotos.Bench.ViewSynthesis;

/// <summary>A sum of squared 8-bit errors over some samples (channels of pixels), which adds across views.</summary>
public readonly record struct ErrorSum(double Squared, long Samples)
{
    public static ErrorSum operator +(ErrorSum a, ErrorSum b) => new(a.Squared + b.Squared, a.Samples + b.Samples);

    /// <summary>10·log10(255² / mean squared error): +∞ when equal, NaN over no samples.</summary>
    public double Psnr => Samples == 0 ? double.NaN : Squared == 0 ? double.PositiveInfinity : 10 * Math.Log10(255.0 * 255.0 * Samples / Squared);
}

/// <summary>A rendering's errors over all pixels, the unseen mask and the band around depth edges.</summary>
public readonly record struct ViewScores(ErrorSum All, ErrorSum Unseen, ErrorSum EdgeBand)
{
    public static ViewScores operator +(ViewScores a, ViewScores b) => new(a.All + b.All, a.Unseen + b.Unseen, a.EdgeBand + b.EdgeBand);
}

/// <summary>The arithmetic of the scores: squared errors over a mask, and the depth-edge band.</summary>
public static class ViewMetrics
{
    /// <summary>A depth step larger than this fraction of the nearer depth is an edge.</summary>
    public const double EdgeStep = 0.05;

    /// <summary>The band is this many pixels wide across each edge: the two pixels of the step and one more on each side.</summary>
    public const int BandWidth = 4;

    /// <summary>Squared errors of <paramref name="image"/> against <paramref name="truth"/> (RGB bytes) over the pixels where <paramref name="mask"/> is true (all when null).</summary>
    public static ErrorSum Errors(ReadOnlySpan<byte> image, ReadOnlySpan<byte> truth, bool[]? mask)
    {
        if (image.Length != truth.Length || (mask is not null && mask.Length * 3 != image.Length))
        {
            throw new ArgumentException("the image, the truth and the mask differ in size");
        }

        double squared = 0;
        long samples = 0;
        for (var i = 0; i < image.Length / 3; i++)
        {
            if (mask is not null && !mask[i])
            {
                continue;
            }

            for (var c = 0; c < 3; c++)
            {
                double d = image[(3 * i) + c] - truth[(3 * i) + c];
                squared += d * d;
            }

            samples += 3;
        }

        return new ErrorSum(squared, samples);
    }

    /// <summary>
    /// The pixels within <see cref="BandWidth"/> / 2 of a depth edge: both pixels of every horizontally or vertically
    /// adjacent pair whose depths differ by more than <see cref="EdgeStep"/> of the nearer one, grown by one pixel
    /// in every direction (a square neighbourhood). <paramref name="inverseDepth"/> is 1/z (0 = unknown: no edge).
    /// </summary>
    public static bool[] EdgeBand(ReadOnlySpan<float> inverseDepth, int width, int height)
    {
        var edge = new bool[width * height];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = (y * width) + x;
                if (x + 1 < width && Steps(inverseDepth[i], inverseDepth[i + 1]))
                {
                    edge[i] = edge[i + 1] = true;
                }

                if (y + 1 < height && Steps(inverseDepth[i], inverseDepth[i + width]))
                {
                    edge[i] = edge[i + width] = true;
                }
            }
        }

        var grow = (BandWidth / 2) - 1;
        var band = new bool[edge.Length];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                if (!edge[(y * width) + x])
                {
                    continue;
                }

                for (var v = Math.Max(0, y - grow); v <= Math.Min(height - 1, y + grow); v++)
                {
                    for (var u = Math.Max(0, x - grow); u <= Math.Min(width - 1, x + grow); u++)
                    {
                        band[(v * width) + u] = true;
                    }
                }
            }
        }

        return band;
    }

    /// <summary>Whether depths 1/a and 1/b differ by more than <see cref="EdgeStep"/> of the nearer: (1/min − 1/max)·max = max/min − 1.</summary>
    private static bool Steps(float a, float b) => a > 0 && b > 0 && (Math.Max(a, b) / Math.Min(a, b)) - 1 > EdgeStep;
}
