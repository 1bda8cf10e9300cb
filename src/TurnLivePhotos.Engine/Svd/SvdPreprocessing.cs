using System.Numerics.Tensors;
using System.Text.Json;
using TurnLivePhotos.Engine.Onnx;
using TurnLivePhotos.Engine.Weights;
using TurnLivePhotos.Media.Imaging;

namespace TurnLivePhotos.Engine.Svd;

/// <summary>
/// The two ways the SVD pipeline prepares the photo, exactly as diffusers does: for the image encoder
/// (anti-aliased Gaussian blur, bicubic align-corners resize to the encoder's size, CLIP mean/std) and for the VAE
/// (pixels mapped to [-1, 1], plus noise_aug_strength × noise).
/// </summary>
public static class SvdPreprocessing
{
    /// <summary>Photo pixels as (1, 3, H, W) float32 in [-1, 1]: 2·(u8 / 255) − 1.</summary>
    public static FloatTensor ToSignedTensor(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var plane = image.Width * image.Height;
        var data = new float[3 * plane];
        var pixels = image.Pixels;
        for (var i = 0; i < plane; i++)
        {
            data[i] = pixels[3 * i];
            data[plane + i] = pixels[(3 * i) + 1];
            data[(2 * plane) + i] = pixels[(3 * i) + 2];
        }

        TensorPrimitives.Divide(data, 255f, data);
        TensorPrimitives.Multiply(data, 2f, data);
        TensorPrimitives.Subtract(data, 1f, data);
        return new FloatTensor(data, [1, 3, image.Height, image.Width]);
    }

    /// <summary>The VAE input: image + strength · noise (the noise augmentation SVD was trained with).</summary>
    public static FloatTensor AddNoise(FloatTensor image, FloatTensor noise, double strength)
    {
        var result = new float[image.Data.Length];
        TensorPrimitives.Multiply(noise.Data, (float)strength, result);
        TensorPrimitives.Add(image.Data, result, result);
        return image with { Data = result };
    }

    /// <summary>The CLIP feature extractor's mean and std (preprocessor_config.json).</summary>
    public sealed record ClipNormalization(float[] Mean, float[] Std)
    {
        public static ClipNormalization Load(string path) => Parse(File.ReadAllText(path));

        /// <summary>preprocessor_config.json's text.</summary>
        public static ClipNormalization Parse(string text)
        {
            using var json = JsonDocument.Parse(text);
            float[] Read(string key) => json.RootElement.GetProperty(key).EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
            return new ClipNormalization(Read("image_mean"), Read("image_std"));
        }
    }

    /// <summary>
    /// Graph for the image-encoder input of an (H, W) photo: <c>image</c> (1, 3, H, W) in [-1, 1] → <c>resized</c>
    /// (after blur and bicubic resize, still in [-1, 1]) and <c>pixel_values</c> (CLIP-normalised).
    /// </summary>
    public static OnnxModel BuildClipInput(int height, int width, int size, ClipNormalization normalization)
    {
        ArgumentNullException.ThrowIfNull(normalization);
        var g = new GraphBuilder(weights: null);
        var image = g.Input("image", 1, 3, height, width);

        // diffusers' _resize_with_antialiasing: sigma = max((factor - 1) / 2, 0.001) per axis; blur along W, then H.
        var blurred = Blur(g, image, GaussianKernel(Sigma(width, size)), alongWidth: true);
        blurred = Blur(g, blurred, GaussianKernel(Sigma(height, size)), alongWidth: false);
        var resized = g.Op("Resize", [blurred, new Value(string.Empty), new Value(string.Empty), g.Ints(1, 3, size, size)],
        [
            Attr.String("mode", "cubic"),
            Attr.String("coordinate_transformation_mode", "align_corners"),
            Attr.Float("cubic_coeff_a", -0.75f),
        ]);
        g.Output(resized, "resized");

        var unit = g.Op("Div", [g.Add(resized, g.Scalar(1f)), g.Scalar(2f)], []);
        var mean = g.Float32Constant(normalization.Mean, 1, 3, 1, 1);
        var std = g.Float32Constant(normalization.Std, 1, 3, 1, 1);
        g.Output(g.Op("Div", [g.Op("Sub", [unit, mean], []), std], []), "pixel_values");
        return g.Build("clip_input");
    }

    public static float Sigma(int inputSize, int outputSize) => Math.Max((((float)inputSize / outputSize) - 1f) / 2f, 0.001f);

    /// <summary>kornia's 1-D Gaussian: odd size int(max(4σ, 3)), taps exp(−x²/2σ²) normalised, in float32.</summary>
    public static float[] GaussianKernel(float sigma)
    {
        var size = (int)Math.Max(4 * sigma, 3);
        if (size % 2 == 0)
        {
            size++;
        }

        var taps = new float[size];
        for (var i = 0; i < size; i++)
        {
            var x = (float)(i - (size / 2));
            taps[i] = MathF.Exp(-(x * x) / (2 * sigma * sigma));
        }

        TensorPrimitives.Divide(taps, TensorPrimitives.Sum(taps), taps);
        return taps;
    }

    private static Value Blur(GraphBuilder g, Value x, float[] taps, bool alongWidth)
    {
        var before = (taps.Length - 1) / 2;
        var after = taps.Length - 1 - before;
        long[] pads = alongWidth ? [0, 0, 0, before, 0, 0, 0, after] : [0, 0, before, 0, 0, 0, after, 0];
        var padded = g.Op("Pad", [x, g.Ints(pads)], [Attr.String("mode", "reflect")]);
        var kernel = g.Float32Constant([.. taps, .. taps, .. taps], alongWidth ? [3, 1, 1, taps.Length] : [3, 1, taps.Length, 1]);
        return g.Op("Conv", [padded, kernel], [Attr.Int("group", 3)]);
    }
}
