using TurnLivePhotos.Engine.Cinematic;
using TurnLivePhotos.Media.Imaging;

namespace TurnLivePhotos.Tests.Cinematic;

/// <summary>What a sideways move uncovers behind a card is filled from the wall's colours around it, averaged, and never from the card.</summary>
public sealed class FarLayerFillTests
{
    private const int Width = 120;
    private const int Height = 80;
    private const float WallDepth = 8;
    private const float CardDepth = 2;

    [Fact]
    public void Uncovered_wall_behind_a_card_takes_the_walls_local_mean_not_its_mirrored_texture_or_the_card()
    {
        // The wall is a one-pixel checkerboard of 0 and 255 (mean 127.5), the card a flat 200 over x 40..79, y 20..59.
        var pixels = new byte[3 * Width * Height];
        var q = new float[Width * Height];
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                var onCard = x is >= 40 and < 80 && y is >= 20 and < 60;
                var value = onCard ? (byte)200 : ((x + y) % 2 == 0 ? (byte)0 : (byte)255);
                pixels[3 * ((y * Width) + x)] = pixels[(3 * ((y * Width) + x)) + 1] = pixels[(3 * ((y * Width) + x)) + 2] = value;
                q[(y * Width) + x] = 1 / (onCard ? CardDepth : WallDepth);
            }
        }

        // fx = 100 and a 0.32 sideways step: the wall moves 4 px (whole pixels, so it stays a crisp checkerboard), the card 16.
        var intrinsics = new Intrinsics(100, 100, (Width - 1) / 2.0, (Height - 1) / 2.0);
        var frame = ViewSynthesizer.Render(
            new RgbImage(Width, Height, pixels),
            new InverseDepthField(Width, Height, q),
            PinholeCamera.AtOrigin(intrinsics),
            new PinholeCamera(intrinsics, Matrix3.Identity, new Vector3d(0.32, 0, 0)),
            Width,
            Height);

        // In the frame the card spans x 24..63; wall at x 64..79 was behind the card in the photo (its source x 68..83 overlaps the card).
        var uncovered = new List<byte>();
        for (var y = 24; y < 56; y++)
        {
            for (var x = 64; x < 80; x++)
            {
                var sourceX = x + 4;
                if (sourceX < 80)
                {
                    uncovered.Add(frame.Pixels[3 * ((y * Width) + x)]);
                }
            }
        }

        Assert.NotEmpty(uncovered);
        Assert.All(uncovered, value => Assert.InRange(value, 97, 158));

        // The covered wall keeps its texture (the averaging touches the uncovered pixels only).
        Assert.Equal(pixels[3 * ((10 * Width) + 14)], frame.Pixels[3 * ((10 * Width) + 10)]);
    }
}
