using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using ImageMagick;
using TurnLivePhotos.Engine.Cinematic;
using TurnLivePhotos.Media.Imaging;

namespace TurnLivePhotos.Bench.ViewSynthesis;

/// <summary>One true view of a scene: its name, camera, true picture and mask of what the source never saw.</summary>
public sealed record SceneView(string Name, PinholeCamera Camera, RgbImage Truth, bool[] Unseen);

/// <summary>Thrown for a scene folder that cannot be read; the message is one line for the user.</summary>
public sealed class SceneException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A ground-truth scene folder as <c>nvs_scenes.py</c> writes it: <c>scene.json</c> (intrinsics, camera-to-world
/// poses in OpenCV axes, the source camera the identity), <c>image.png</c>, <c>depth.f32</c> (float32 little-endian,
/// metres along the optical axis) and per view the true picture and the unseen mask (255 = never seen).
/// The generator traces the ray of pixel i through i + 0.5, so its principal point is moved by half a pixel into
/// <see cref="Intrinsics"/>' convention (a pixel's centre at whole coordinates).
/// </summary>
public sealed partial class NvsScene
{
    /// <summary>The largest side read (the generator's default is 960 × 720).</summary>
    public const int MaxSide = 8192;

    /// <summary>The most views a scene may list.</summary>
    public const int MaxViews = 64;

    /// <summary>The largest scene.json read.</summary>
    public const int MaxJsonBytes = 1 << 20;

    private NvsScene(string folder, RgbImage image, InverseDepthField depth, PinholeCamera source, IReadOnlyList<SceneView> views)
    {
        Folder = folder;
        Image = image;
        Depth = depth;
        Source = source;
        Views = views;
    }

    public string Folder { get; }

    public RgbImage Image { get; }

    public InverseDepthField Depth { get; }

    public PinholeCamera Source { get; }

    public IReadOnlyList<SceneView> Views { get; }

    public int Width => Image.Width;

    public int Height => Image.Height;

    public static NvsScene Load(string folder)
    {
        var jsonPath = Path.Combine(folder, "scene.json");
        if (!File.Exists(jsonPath))
        {
            throw new SceneException($"{folder}: no scene.json (make one with nvs_scenes.py)");
        }

        if (new FileInfo(jsonPath).Length > MaxJsonBytes)
        {
            throw new SceneException($"{jsonPath}: larger than {MaxJsonBytes} bytes");
        }

        SceneJson json;
        try
        {
            json = JsonSerializer.Deserialize<SceneJson>(File.ReadAllBytes(jsonPath), new JsonSerializerOptions { MaxDepth = 8 })
                ?? throw new SceneException($"{jsonPath}: empty");
        }
        catch (JsonException ex)
        {
            throw new SceneException($"{jsonPath}: not a scene (invalid JSON at line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}{(ex.Path is null ? string.Empty : $", {ex.Path}")})", ex);
        }

        if (json.Width is <= 0 or > MaxSide || json.Height is <= 0 or > MaxSide)
        {
            throw new SceneException($"{jsonPath}: size {json.Width}x{json.Height} outside 1..{MaxSide}");
        }

        if (!(json.Fx > 0) || !(json.Fy > 0) || !double.IsFinite(json.Cx) || !double.IsFinite(json.Cy))
        {
            throw new SceneException($"{jsonPath}: the intrinsics must be positive focal lengths and a finite principal point");
        }

        var views = json.Views ?? [];
        if (views.Count is 0 or > MaxViews)
        {
            throw new SceneException($"{jsonPath}: {views.Count} views (1..{MaxViews} expected)");
        }

        var intrinsics = new Intrinsics(json.Fx, json.Fy, json.Cx - 0.5, json.Cy - 0.5);
        var image = ReadImage(folder, json.Image ?? "image.png", json.Width, json.Height);
        var depth = ReadDepth(Path.Combine(folder, SafeName(json.DepthF32 ?? "depth.f32")), json.Width, json.Height);
        var loaded = views.Select(view =>
        {
            var name = view.Name ?? throw new SceneException($"{jsonPath}: a view without a name");
            if (!ViewName().IsMatch(name))
            {
                throw new SceneException($"{jsonPath}: view name '{name}' is not letters, digits, '.', '-' or '_'");
            }

            var camera = new PinholeCamera(intrinsics, Rotation(view.CameraToWorld, name), Centre(view.CameraToWorld, name));
            var truth = ReadImage(folder, view.Truth ?? $"view-{name}.png", json.Width, json.Height);
            var mask = ReadImage(folder, view.UnseenMask ?? $"mask-{name}.png", json.Width, json.Height);
            var unseen = new bool[json.Width * json.Height];
            for (var i = 0; i < unseen.Length; i++)
            {
                unseen[i] = mask.Pixels[3 * i] >= 128;
            }

            return new SceneView(name, camera, truth, unseen);
        }).ToList();
        return new NvsScene(folder, image, depth, PinholeCamera.AtOrigin(intrinsics), loaded);
    }

    private static Matrix3 Rotation(double[][]? m, string view)
    {
        CheckPose(m, view);
        return new Matrix3(m![0][0], m[0][1], m[0][2], m[1][0], m[1][1], m[1][2], m[2][0], m[2][1], m[2][2]);
    }

    private static Vector3d Centre(double[][]? m, string view) => new(m![0][3], m[1][3], m[2][3]);

    private static void CheckPose(double[][]? m, string view)
    {
        if (m is null || m.Length < 3 || m.Take(3).Any(row => row is null || row.Length != 4 || row.Any(v => !double.IsFinite(v))))
        {
            throw new SceneException($"view {view}: camera_to_world must be a 4x4 matrix of finite numbers");
        }
    }

    private static string SafeName(string name) => ViewName().IsMatch(name)
        ? name
        : throw new SceneException($"'{name}': a scene's files must be plain names inside its folder");

    private static RgbImage ReadImage(string folder, string name, int width, int height)
    {
        var path = Path.Combine(folder, SafeName(name));
        if (!File.Exists(path))
        {
            throw new SceneException($"{path}: missing");
        }

        try
        {
            // The header first: a picture of another size is refused before its pixels are decoded.
            var settings = new MagickReadSettings { Format = MagickFormat.Png };
            var header = new MagickImageInfo(path, settings);
            if (header.Width != width || header.Height != height)
            {
                throw new SceneException($"{path}: {header.Width}x{header.Height}, the scene is {width}x{height}");
            }

            using var image = new MagickImage(path, settings);

            image.ColorSpace = ColorSpace.sRGB;
            return MagickInterop.ToRgb(image);
        }
        catch (MagickException ex)
        {
            throw new SceneException($"{path}: not a PNG ({ex.Message.Split('\n')[0]})", ex);
        }
    }

    private static InverseDepthField ReadDepth(string path, int width, int height)
    {
        if (!File.Exists(path))
        {
            throw new SceneException($"{path}: missing");
        }

        var expected = 4L * width * height;
        if (new FileInfo(path).Length != expected)
        {
            throw new SceneException($"{path}: {new FileInfo(path).Length} bytes, {expected} expected ({width}x{height} float32)");
        }

        var bytes = File.ReadAllBytes(path);
        var depth = new float[width * height];
        for (var i = 0; i < depth.Length; i++)
        {
            depth[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(4 * i, 4));
            if (!(depth[i] > 0) || !float.IsFinite(depth[i]))
            {
                throw new SceneException($"{path}: depth {depth[i]} at pixel ({i % width}, {i / width}); every depth must be positive and finite");
            }
        }

        return InverseDepthField.FromDepth(width, height, depth);
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
    private static partial Regex ViewName();

    private sealed record ViewJson(
        [property: JsonPropertyName("name")] string? Name,
        [property: JsonPropertyName("camera_to_world")] double[][]? CameraToWorld,
        [property: JsonPropertyName("truth")] string? Truth,
        [property: JsonPropertyName("unseen_mask")] string? UnseenMask);

    private sealed record SceneJson(
        [property: JsonPropertyName("width")] int Width,
        [property: JsonPropertyName("height")] int Height,
        [property: JsonPropertyName("fx")] double Fx,
        [property: JsonPropertyName("fy")] double Fy,
        [property: JsonPropertyName("cx")] double Cx,
        [property: JsonPropertyName("cy")] double Cy,
        [property: JsonPropertyName("image")] string? Image,
        [property: JsonPropertyName("depth_f32")] string? DepthF32,
        [property: JsonPropertyName("views")] List<ViewJson>? Views);
}
