namespace TurnLivePhotos.Engine.Svd;

/// <summary>
/// The generation size for a photo: its own aspect ratio, sides multiples of the model's stride, and an area close
/// to the configured prompt size (1024×576 by default). A portrait photo gives a portrait video.
/// </summary>
public static class SvdResolution
{
    public static (int Width, int Height) For(int photoWidth, int photoHeight, int targetWidth, int targetHeight, int stride)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stride);
        var area = (double)targetWidth * targetHeight;
        var aspect = (double)photoWidth / photoHeight;
        var width = Math.Sqrt(area * aspect);
        var height = Math.Sqrt(area / aspect);
        return (Snap(width, stride), Snap(height, stride));
    }

    private static int Snap(double value, int stride) => Math.Max(stride, (int)Math.Round(value / stride) * stride);
}
