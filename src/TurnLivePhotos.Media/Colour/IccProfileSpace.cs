using System.Buffers.Binary;

namespace TurnLivePhotos.Media.Colour;

/// <summary>
/// Recognises the two RGB spaces the frames may stay in from an ICC profile's matrix/TRC tags (ICC.1:2022 §9.2
/// rXYZ/gXYZ/bXYZ and rTRC/gTRC/bTRC, §10.6 curv, §10.18 para): the colorants must be sRGB's or Display P3's as
/// adapted to the D50 connection space, and each curve must follow the sRGB transfer. Written here because Magick.NET
/// reads only a profile's header and description, and a description is a name, not a promise about the numbers.
/// The profile is untrusted bytes: at most <see cref="MaxTags"/> tags and <see cref="MaxCurvePoints"/> curve points,
/// every offset checked against its length.
/// </summary>
public static class IccProfileSpace
{
    public const int MaxTags = 256;

    /// <summary>Real profiles sample their curves at up to 4096 points; more is refused rather than read.</summary>
    public const int MaxCurvePoints = 65536;

    private const int HeaderLength = 128;
    private const double ColorantTolerance = 0.003;
    private const double CurveTolerance = 0.004;

    // D50-adapted (Bradford) colorants as Apple's Display P3 and the common sRGB profiles carry them.
    private static readonly double[][] Srgb = [[0.4361, 0.2225, 0.0139], [0.3851, 0.7169, 0.0971], [0.1431, 0.0606, 0.7139]];
    private static readonly double[][] DisplayP3 = [[0.5151, 0.2412, -0.0010], [0.2920, 0.6922, 0.0419], [0.1571, 0.0666, 0.7841]];

    /// <summary>
    /// The space the frames can stay in for a photo with this profile: <see cref="RgbSpace.Srgb"/> for none or an sRGB
    /// profile, <see cref="RgbSpace.DisplayP3"/> for Display P3, null for anything else (convert to sRGB).
    /// </summary>
    public static RgbSpace? Classify(byte[]? profile)
    {
        if (profile is null)
        {
            return RgbSpace.Srgb;
        }

        if (profile.Length < HeaderLength + 4 || !profile.AsSpan(16, 4).SequenceEqual("RGB "u8))
        {
            return null;
        }

        var tags = Tags(profile);
        if (tags is null || Colorants(profile, tags) is not { } colorants || !new[] { "rTRC", "gTRC", "bTRC" }.All(name => tags.TryGetValue(name, out var at) && FollowsSrgb(profile, at)))
        {
            return null;
        }

        return Matches(colorants, DisplayP3) ? RgbSpace.DisplayP3 : Matches(colorants, Srgb) ? RgbSpace.Srgb : null;
    }

    /// <summary>The sRGB electro-optical transfer (IEC 61966-2-1 §5.2): an encoded value in 0..1 to linear light.</summary>
    public static double SrgbToLinear(double encoded) =>
        encoded <= 0.04045 ? encoded / 12.92 : Math.Pow((encoded + 0.055) / 1.055, 2.4);

    private static Dictionary<string, (int Offset, int Length)>? Tags(byte[] profile)
    {
        var count = BinaryPrimitives.ReadUInt32BigEndian(profile.AsSpan(HeaderLength));
        if (count > MaxTags || HeaderLength + 4 + (count * 12) > profile.Length)
        {
            return null;
        }

        var tags = new Dictionary<string, (int, int)>();
        for (var i = 0; i < count; i++)
        {
            var entry = profile.AsSpan(HeaderLength + 4 + (i * 12), 12);
            var offset = BinaryPrimitives.ReadUInt32BigEndian(entry[4..]);
            var length = BinaryPrimitives.ReadUInt32BigEndian(entry[8..]);
            if (offset + (long)length > profile.Length || length < 12)
            {
                return null;
            }

            tags.TryAdd(System.Text.Encoding.ASCII.GetString(entry[..4]), ((int)offset, (int)length));
        }

        return tags;
    }

    private static double[][]? Colorants(byte[] profile, Dictionary<string, (int Offset, int Length)> tags)
    {
        var colorants = new double[3][];
        var names = new[] { "rXYZ", "gXYZ", "bXYZ" };
        for (var i = 0; i < 3; i++)
        {
            if (!tags.TryGetValue(names[i], out var at) || at.Length < 20 || !profile.AsSpan(at.Offset, 4).SequenceEqual("XYZ "u8))
            {
                return null;
            }

            colorants[i] = [Fixed(profile, at.Offset + 8), Fixed(profile, at.Offset + 12), Fixed(profile, at.Offset + 16)];
        }

        return colorants;
    }

    private static bool Matches(double[][] colorants, double[][] expected) =>
        Enumerable.Range(0, 3).All(i => Enumerable.Range(0, 3).All(j => Math.Abs(colorants[i][j] - expected[i][j]) <= ColorantTolerance));

    /// <summary>The curve at a spread of inputs against the sRGB transfer.</summary>
    private static bool FollowsSrgb(byte[] profile, (int Offset, int Length) at)
    {
        Func<double, double>? curve = Curve(profile, at);
        return curve is not null && new[] { 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.7, 0.85, 1.0 }.All(x => Math.Abs(curve(x) - SrgbToLinear(x)) <= CurveTolerance);
    }

    private static Func<double, double>? Curve(byte[] profile, (int Offset, int Length) at)
    {
        var type = profile.AsSpan(at.Offset, 4);
        if (type.SequenceEqual("curv"u8))
        {
            var points = BinaryPrimitives.ReadUInt32BigEndian(profile.AsSpan(at.Offset + 8));
            if (points < 2 || points > MaxCurvePoints || 12 + (points * 2L) > at.Length)
            {
                return null; // 0 is the identity and 1 a pure gamma: neither is the sRGB curve
            }

            var table = Enumerable.Range(0, (int)points).Select(i => BinaryPrimitives.ReadUInt16BigEndian(profile.AsSpan(at.Offset + 12 + (i * 2))) / 65535.0).ToArray();
            return x =>
            {
                var position = x * (table.Length - 1);
                var below = Math.Min((int)position, table.Length - 2);
                return table[below] + ((table[below + 1] - table[below]) * (position - below));
            };
        }

        if (!type.SequenceEqual("para"u8) || at.Length < 12)
        {
            return null;
        }

        int function = BinaryPrimitives.ReadUInt16BigEndian(profile.AsSpan(at.Offset + 8));
        int[] parameterCounts = [1, 3, 4, 5, 7];
        if (function >= parameterCounts.Length || 12 + (parameterCounts[function] * 4) > at.Length)
        {
            return null;
        }

        var p = Enumerable.Range(0, parameterCounts[function]).Select(i => Fixed(profile, at.Offset + 12 + (i * 4))).ToArray();
        return function switch
        {
            0 => x => Math.Pow(x, p[0]),
            1 => x => x >= -p[2] / p[1] ? Math.Pow((p[1] * x) + p[2], p[0]) : 0,
            2 => x => x >= -p[2] / p[1] ? Math.Pow((p[1] * x) + p[2], p[0]) + p[3] : p[3],
            3 => x => x >= p[4] ? Math.Pow((p[1] * x) + p[2], p[0]) : p[3] * x,
            _ => x => x >= p[4] ? Math.Pow((p[1] * x) + p[2], p[0]) + p[5] : (p[3] * x) + p[6],
        };
    }

    /// <summary>s15Fixed16Number (ICC.1 §4.6).</summary>
    private static double Fixed(byte[] profile, int offset) => BinaryPrimitives.ReadInt32BigEndian(profile.AsSpan(offset)) / 65536.0;
}
