namespace TurnLivePhotos.Media;

/// <summary>
/// Joins byte blocks with one allocation and one block copy each. The files we assemble are megabytes (a 12-MP photo,
/// its video): a collection expression such as <c>[.. photo, .. video]</c> compiles to a copy element by element here,
/// which cost ~170 ms for one Motion Photo in <c>bench cinematic</c> against about a millisecond this way.
/// </summary>
public static class Bytes
{
    public static byte[] Concat(params ReadOnlySpan<byte[]> parts)
    {
        var length = 0L;
        foreach (var part in parts)
        {
            length += part.Length;
        }

        var joined = new byte[checked((int)length)];
        var offset = 0;
        foreach (var part in parts)
        {
            part.CopyTo(joined, offset);
            offset += part.Length;
        }

        return joined;
    }
}
