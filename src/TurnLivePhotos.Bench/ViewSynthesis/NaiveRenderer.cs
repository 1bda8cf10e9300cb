using TurnLivePhotos.Engine.Cinematic;
using TurnLivePhotos.Media.Imaging;

namespace TurnLivePhotos.Bench.ViewSynthesis;

/// <summary>
/// The baseline a view synthesizer is judged against: every source pixel is splatted with its own colour over the
/// target pixels whose centres its magnified footprint covers (at least the nearest one), with a z-buffer (nearest
/// wins); each pixel left empty takes colour and depth from the deeper of its nearest filled neighbours to the left
/// and right in its row (the one there is, if only one is), and a row with nothing in it copies the nearest filled
/// row (a strip the source never saw along the top or bottom). Written here for the bench only.
/// </summary>
public static class NaiveRenderer
{
    /// <summary>The target frame and its inverse depth (0 where a row had nothing to fill from).</summary>
    public static (RgbImage Image, float[] Depth) Render(RgbImage photo, InverseDepthField depth, PinholeCamera source, PinholeCamera target, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(photo);
        ArgumentNullException.ThrowIfNull(depth);
        var transfer = ViewTransfer.Between(source, target);
        var pixels = new byte[3 * width * height];
        var buffer = new float[width * height];
        Array.Fill(buffer, -1f);
        for (var v = 0; v < photo.Height; v++)
        {
            for (var u = 0; u < photo.Width; u++)
            {
                var q0 = depth.Values[(v * photo.Width) + u];
                var (x, y, q) = transfer.Project(u, v, q0);
                if (!(q > 0) || double.IsInfinity(q) || !(x > -0.5 && x < width - 0.5 && y > -0.5 && y < height - 0.5))
                {
                    continue;
                }

                var half = Math.Max(transfer.ScaleX, transfer.ScaleY) * q / q0 / 2;
                var tx = (int)Math.Round(x);
                var ty = (int)Math.Round(y);
                var s = 3 * ((v * photo.Width) + u);
                for (var ry = Math.Min(ty, (int)Math.Ceiling(y - half)); ry <= Math.Max(ty, (int)Math.Floor(y + half)); ry++)
                {
                    for (var rx = Math.Min(tx, (int)Math.Ceiling(x - half)); rx <= Math.Max(tx, (int)Math.Floor(x + half)); rx++)
                    {
                        var i = (ry * width) + rx;
                        if (rx < 0 || rx >= width || ry < 0 || ry >= height || q <= buffer[i])
                        {
                            continue;
                        }

                        buffer[i] = (float)q;
                        pixels[3 * i] = photo.Pixels[s];
                        pixels[(3 * i) + 1] = photo.Pixels[s + 1];
                        pixels[(3 * i) + 2] = photo.Pixels[s + 2];
                    }
                }
            }
        }

        for (var y = 0; y < height; y++)
        {
            var row = y * width;
            var x = 0;
            while (x < width)
            {
                if (buffer[row + x] >= 0)
                {
                    x++;
                    continue;
                }

                var start = x;
                while (x < width && buffer[row + x] < 0)
                {
                    x++;
                }

                var left = start > 0 ? row + start - 1 : -1;
                var right = x < width ? row + x : -1;
                var from = left < 0 ? right : right < 0 ? left : buffer[left] <= buffer[right] ? left : right;
                for (var k = start; k < x; k++)
                {
                    var i = row + k;
                    if (from >= 0)
                    {
                        buffer[i] = buffer[from];
                        pixels[3 * i] = pixels[3 * from];
                        pixels[(3 * i) + 1] = pixels[(3 * from) + 1];
                        pixels[(3 * i) + 2] = pixels[(3 * from) + 2];
                    }
                }
            }
        }

        FillEmptyRows(pixels, buffer, width, height);

        return (new RgbImage(width, height, pixels), buffer);
    }

    /// <summary>Rows still empty (nothing in them to fill from) copy the nearest row that has something, from the middle outwards.</summary>
    private static void FillEmptyRows(byte[] pixels, float[] buffer, int width, int height)
    {
        var filled = Enumerable.Range(0, height).Where(y => buffer[y * width] >= 0).ToList();
        if (filled.Count == 0)
        {
            Array.Fill(buffer, 0f);
            return;
        }

        for (var y = 0; y < height; y++)
        {
            if (buffer[y * width] >= 0)
            {
                continue;
            }

            var from = filled.MinBy(f => Math.Abs(f - y));
            buffer.AsSpan(from * width, width).CopyTo(buffer.AsSpan(y * width, width));
            pixels.AsSpan(3 * from * width, 3 * width).CopyTo(pixels.AsSpan(3 * y * width, 3 * width));
        }
    }
}
