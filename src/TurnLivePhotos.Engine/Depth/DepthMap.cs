namespace TurnLivePhotos.Engine.Depth;

/// <summary>A depth estimate, row-major; Depth Anything's relative output: affine-invariant inverse depth (larger = nearer).</summary>
public sealed record DepthMap(int Width, int Height, float[] Values)
{
    public float this[int x, int y] => Values[(y * Width) + x];
}
