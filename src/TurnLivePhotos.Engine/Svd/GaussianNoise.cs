namespace TurnLivePhotos.Engine.Svd;

/// <summary>
/// The engine's own noise source, so a seed gives the same video on every machine and .NET version:
/// SplitMix64 expands the seed into the state of xoshiro256**, whose 53-bit uniforms feed the Box–Muller
/// transform (two normals per pair of uniforms, cosine branch first). Not PyTorch's generator: a seed here does
/// not reproduce a diffusers run with the same seed.
/// </summary>
public sealed class GaussianNoise : INoiseSource
{
    private ulong s0;
    private ulong s1;
    private ulong s2;
    private ulong s3;

    public GaussianNoise(ulong seed)
    {
        s0 = SplitMix(ref seed);
        s1 = SplitMix(ref seed);
        s2 = SplitMix(ref seed);
        s3 = SplitMix(ref seed);
    }

    public void Fill(Span<float> destination)
    {
        for (var i = 0; i < destination.Length; i += 2)
        {
            var u1 = 1.0 - NextDouble(); // (0, 1]: the logarithm stays finite
            var u2 = NextDouble();
            var radius = Math.Sqrt(-2.0 * Math.Log(u1));
            var angle = 2.0 * Math.PI * u2;
            destination[i] = (float)(radius * Math.Cos(angle));
            if (i + 1 < destination.Length)
            {
                destination[i + 1] = (float)(radius * Math.Sin(angle));
            }
        }
    }

    public float[] Next(long count)
    {
        var values = new float[count];
        Fill(values);
        return values;
    }

    private static ulong SplitMix(ref ulong state)
    {
        state += 0x9E3779B97F4A7C15UL;
        var z = state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    private ulong NextUInt64()
    {
        var result = ulong.RotateLeft(s1 * 5, 7) * 9;
        var t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = ulong.RotateLeft(s3, 45);
        return result;
    }
}
