using System.Globalization;
using System.Text;
using ImageMagick;
using TurnLivePhotos.Media.Imaging;

namespace TurnLivePhotos.Tests.Cinematic;

/// <summary>
/// Writes a tiny ground-truth scene folder in nvs_scenes.py's layout, ray-traced here: a wall at z = 8 m and a card
/// (a 1.2 × 0.9 m rectangle, centred) at z = 2.5 m, each with a smooth colour pattern, seen by a 160 × 120 pinhole
/// camera (fx = 136, the ray of pixel i through i + 0.5) from the origin and from a few moved cameras, with the
/// mask of what the source never saw. One sample per pixel: the patterns are smooth, so no anti-aliasing is needed.
/// </summary>
public static class TwoPlaneScene
{
    public const int Width = 160;
    public const int Height = 120;
    public const double Fx = 136;
    public const double WallZ = 8;
    public const double CardZ = 2.5;
    public const double CardHalfWidth = 0.6;
    public const double CardHalfHeight = 0.45;

    /// <summary>The views written: a name and a camera-to-world rotation (a yaw, radians) and centre.</summary>
    public static readonly (string Name, double Yaw, double X, double Y, double Z)[] Views =
    [
        ("rest", 0, 0, 0, 0),
        ("orbit", -0.004, 0.06, 0, 0),
        ("rise", 0, 0, -0.05, 0),
        ("dolly", 0, 0, 0, 0.3),
    ];

    public static void Write(string folder)
    {
        Directory.CreateDirectory(folder);
        var (source, sourceDepth) = Trace(0, 0, 0, 0);
        WritePng(Path.Combine(folder, "image.png"), source);
        var depthBytes = new byte[4 * sourceDepth.Length];
        for (var i = 0; i < sourceDepth.Length; i++)
        {
            BitConverter.TryWriteBytes(depthBytes.AsSpan(4 * i), (float)sourceDepth[i]);
        }

        File.WriteAllBytes(Path.Combine(folder, "depth.f32"), depthBytes);
        var json = new StringBuilder();
        json.Append(CultureInfo.InvariantCulture, $$"""{"width": {{Width}}, "height": {{Height}}, "fx": {{Fx}}, "fy": {{Fx}}, "cx": {{Width / 2.0}}, "cy": {{Height / 2.0}}, "image": "image.png", "depth_f32": "depth.f32", "views": [""");
        foreach (var (name, yaw, x, y, z) in Views)
        {
            var (truth, _) = Trace(yaw, x, y, z);
            WritePng(Path.Combine(folder, $"view-{name}.png"), truth);
            WritePng(Path.Combine(folder, $"mask-{name}.png"), Unseen(yaw, x, y, z, sourceDepth));
            var (c, s) = (Math.Cos(yaw), Math.Sin(yaw));
            json.Append(CultureInfo.InvariantCulture, $$"""{{(name == Views[0].Name ? "" : ", ")}}{"name": "{{name}}", "camera_to_world": [[{{c}}, 0, {{s}}, {{x}}], [0, 1, 0, {{y}}], [{{-s}}, 0, {{c}}, {{z}}], [0, 0, 0, 1]], "truth": "view-{{name}}.png", "unseen_mask": "mask-{{name}}.png"}""");
        }

        json.Append("]}");
        File.WriteAllText(Path.Combine(folder, "scene.json"), json.ToString());
    }

    /// <summary>The ray through pixel (px, py) of a camera turned by yaw about y and standing at (cx, cy, cz): origin, direction.</summary>
    private static (double[] Origin, double[] Direction) Ray(double yaw, double cx, double cy, double cz, int px, int py)
    {
        var dx = (px + 0.5 - (Width / 2.0)) / Fx;
        var dy = (py + 0.5 - (Height / 2.0)) / Fx;
        var (c, s) = (Math.Cos(yaw), Math.Sin(yaw));
        return ([cx, cy, cz], [(c * dx) + s, dy, (-s * dx) + c]);
    }

    /// <summary>The first surface a ray meets: depth along the ray parameter (direction has z ≈ 1), the world point, and whether it is the card.</summary>
    private static (double T, double X, double Y, bool Card) Hit(double[] o, double[] d)
    {
        var tCard = (CardZ - o[2]) / d[2];
        var cardX = o[0] + (tCard * d[0]);
        var cardY = o[1] + (tCard * d[1]);
        if (tCard > 0 && Math.Abs(cardX) <= CardHalfWidth && Math.Abs(cardY) <= CardHalfHeight)
        {
            return (tCard, cardX, cardY, true);
        }

        var tWall = (WallZ - o[2]) / d[2];
        return (tWall, o[0] + (tWall * d[0]), o[1] + (tWall * d[1]), false);
    }

    private static (byte R, byte G, byte B) Colour(double x, double y, bool card) => card
        ? (Byte(200 + (40 * Math.Sin(x * 31))), Byte(120 + (50 * Math.Cos(y * 27))), Byte(60 + (30 * Math.Sin((x + y) * 23))))
        : (Byte(90 + (60 * Math.Sin(x * 11) * Math.Cos(y * 9))), Byte(110 + (50 * Math.Cos(x * 7))), Byte(140 + (60 * Math.Sin(y * 13))));

    private static byte Byte(double v) => (byte)Math.Clamp(Math.Round(v), 0, 255);

    private static (RgbImage Image, double[] Depth) Trace(double yaw, double cx, double cy, double cz)
    {
        var pixels = new byte[3 * Width * Height];
        var depth = new double[Width * Height];
        for (var py = 0; py < Height; py++)
        {
            for (var px = 0; px < Width; px++)
            {
                var (o, d) = Ray(yaw, cx, cy, cz, px, py);
                var (t, x, y, card) = Hit(o, d);
                var i = (py * Width) + px;
                depth[i] = t * d[2];
                (pixels[3 * i], pixels[(3 * i) + 1], pixels[(3 * i) + 2]) = Colour(x, y, card);
            }
        }

        return (new RgbImage(Width, Height, pixels), depth);
    }

    /// <summary>255 where the point a view's pixel shows is outside the source frame or hidden from the source (its source depth differs by over 1 %).</summary>
    private static RgbImage Unseen(double yaw, double cx, double cy, double cz, double[] sourceDepth)
    {
        var pixels = new byte[3 * Width * Height];
        for (var py = 0; py < Height; py++)
        {
            for (var px = 0; px < Width; px++)
            {
                var (o, d) = Ray(yaw, cx, cy, cz, px, py);
                var (t, _, _, _) = Hit(o, d);
                var (wx, wy, wz) = (o[0] + (t * d[0]), o[1] + (t * d[1]), o[2] + (t * d[2]));
                var u = (int)Math.Round((Fx * wx / wz) + (Width / 2.0) - 0.5);
                var v = (int)Math.Round((Fx * wy / wz) + (Height / 2.0) - 0.5);
                var seen = u >= 0 && u < Width && v >= 0 && v < Height && Math.Abs(sourceDepth[(v * Width) + u] - wz) <= 0.01 * wz;
                var i = 3 * ((py * Width) + px);
                pixels[i] = pixels[i + 1] = pixels[i + 2] = seen ? (byte)0 : (byte)255;
            }
        }

        return new RgbImage(Width, Height, pixels);
    }

    private static void WritePng(string path, RgbImage image)
    {
        using var magick = MagickInterop.ToMagick(image);
        magick.Write(path, MagickFormat.Png);
    }
}
