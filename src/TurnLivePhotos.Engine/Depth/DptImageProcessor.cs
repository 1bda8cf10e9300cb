using System.Text.Json;
using TurnLivePhotos.Engine.Onnx;
using TurnLivePhotos.Engine.Weights;
using TurnLivePhotos.Media.Imaging;

namespace TurnLivePhotos.Engine.Depth;

/// <summary>
/// transformers' DPTImageProcessor as Depth-Anything-V2 ships it (preprocessor_config.json): resize keeping the
/// aspect ratio to the side whose scale is closer to 1, each side rounded to a multiple of <c>ensure_multiple_of</c>,
/// with Pillow's bicubic; rescale by 1/255; normalise with the ImageNet mean and std; NCHW float32.
/// </summary>
public sealed record DptImageProcessor(
    int Height,
    int Width,
    bool KeepAspectRatio,
    int EnsureMultipleOf,
    bool DoResize,
    bool DoRescale,
    double RescaleFactor,
    bool DoNormalize,
    float[] Mean,
    float[] Std)
{
    public static DptImageProcessor Load(string path)
    {
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = json.RootElement;
            bool Flag(string key, bool fallback) => root.TryGetProperty(key, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : fallback;
            float[] Floats(string key, float[] fallback) => root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().Select(e => (float)e.GetDouble()).ToArray() : fallback;

            var size = root.TryGetProperty("size", out var s) && s.ValueKind == JsonValueKind.Object ? s : default;
            int Side(string key) => size.ValueKind == JsonValueKind.Object && size.TryGetProperty(key, out var v) ? v.GetInt32() : 384;
            var resample = root.TryGetProperty("resample", out var r) && r.ValueKind == JsonValueKind.Number ? r.GetInt32() : 3;
            if (resample != 3)
            {
                throw new WeightFileException($"{path}: resample = {resample} is not supported: only 3 (bicubic) is implemented");
            }

            if (Flag("do_pad", false))
            {
                throw new WeightFileException($"{path}: do_pad = true is not supported");
            }

            return new DptImageProcessor(
                Side("height"),
                Side("width"),
                Flag("keep_aspect_ratio", false),
                root.TryGetProperty("ensure_multiple_of", out var m) && m.ValueKind == JsonValueKind.Number ? m.GetInt32() : 1,
                Flag("do_resize", true),
                Flag("do_rescale", true),
                root.TryGetProperty("rescale_factor", out var f) && f.ValueKind == JsonValueKind.Number ? f.GetDouble() : 1 / 255.0,
                Flag("do_normalize", true),
                Floats("image_mean", [0.5f, 0.5f, 0.5f]),
                Floats("image_std", [0.5f, 0.5f, 0.5f]));
        }
        catch (Exception ex) when (ex is JsonException or IOException or InvalidOperationException or FormatException)
        {
            throw new WeightFileException($"{path}: not a readable preprocessor config ({ex.Message.Split('\n')[0]})", ex);
        }
    }

    /// <summary>The (height, width) a photo is resized to (transformers' get_resize_output_image_size, or the photo fitted inside the size).</summary>
    public (int Height, int Width) OutputSize(int photoHeight, int photoWidth, DepthInputFit fit = DepthInputFit.ClosestScale)
    {
        if (!DoResize)
        {
            return (photoHeight, photoWidth);
        }

        var scaleHeight = (double)Height / photoHeight;
        var scaleWidth = (double)Width / photoWidth;
        if (KeepAspectRatio && fit == DepthInputFit.Inside)
        {
            scaleHeight = scaleWidth = Math.Min(scaleHeight, scaleWidth);
        }
        else if (KeepAspectRatio)
        {
            if (Math.Abs(1 - scaleWidth) < Math.Abs(1 - scaleHeight))
            {
                scaleHeight = scaleWidth;
            }
            else
            {
                scaleWidth = scaleHeight;
            }
        }

        return (Multiple(scaleHeight * photoHeight), Multiple(scaleWidth * photoWidth));
    }

    /// <summary>pixel_values (1, 3, H, W) for one photo.</summary>
    public FloatTensor Preprocess(RgbImage photo, DepthInputFit fit = DepthInputFit.ClosestScale)
    {
        ArgumentNullException.ThrowIfNull(photo);
        var (height, width) = OutputSize(photo.Height, photo.Width, fit);
        var resized = PillowBicubic.Resize(photo, width, height);
        var plane = width * height;
        var data = new float[3 * plane];
        for (var c = 0; c < 3; c++)
        {
            var mean = DoNormalize ? Mean[c] : 0f;
            var std = DoNormalize ? Std[c] : 1f;
            for (var i = 0; i < plane; i++)
            {
                // transformers rescales in float64 and casts to float32 before normalising in float32.
                var value = DoRescale ? (float)(resized.Pixels[(3 * i) + c] * RescaleFactor) : resized.Pixels[(3 * i) + c];
                data[(c * plane) + i] = (value - mean) / std;
            }
        }

        return new FloatTensor(data, [1, 3, height, width]);
    }

    /// <summary>constrain_to_multiple_of: Python's round (half to even), never below the multiple itself.</summary>
    private int Multiple(double value)
    {
        var multiple = EnsureMultipleOf;
        var x = (int)Math.Round(value / multiple, MidpointRounding.ToEven) * multiple;
        return x < multiple ? (int)Math.Ceiling(value / multiple) * multiple : x;
    }
}
