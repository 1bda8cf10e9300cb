namespace TurnLivePhotos.Engine.Cinematic;

/// <summary>
/// What the renderer draws from: per photo pixel the inverse depth q = 1/z along the photo camera's optical axis, in
/// the units of the cameras' centres (metres for a measured scene, the farthest distance for the engine's own
/// scene). <see cref="Span"/> (the largest q minus the smallest) sets the renderer's depth tolerances, so the same
/// thresholds hold whatever the units.
/// </summary>
public sealed class InverseDepthField
{
    public InverseDepthField(int width, int height, float[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (width <= 0 || height <= 0 || values.Length != width * height)
        {
            throw new ArgumentException($"{values.Length} inverse depths for a {width}x{height} field");
        }

        Width = width;
        Height = height;
        Values = values;
        var low = float.MaxValue;
        var high = 0f;
        foreach (var q in values)
        {
            if (!(q > 0) || !float.IsFinite(q))
            {
                throw new ArgumentException("every inverse depth must be positive and finite");
            }

            low = Math.Min(low, q);
            high = Math.Max(high, q);
        }

        Span = Math.Max(high - low, high * 1e-3f);
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>q per photo pixel, row-major.</summary>
    public float[] Values { get; }

    public float Span { get; }

    /// <summary>From depth along the optical axis (e.g. metres); every value must be positive and finite.</summary>
    public static InverseDepthField FromDepth(int width, int height, ReadOnlySpan<float> depth)
    {
        var values = new float[depth.Length];
        for (var i = 0; i < depth.Length; i++)
        {
            values[i] = 1 / depth[i];
        }

        return new InverseDepthField(width, height, values);
    }
}
