namespace TurnLivePhotos.Core.Models;

/// <summary>
/// The RIFE weights <c>model download rife</c> fetches: Practical-RIFE v4.25's <c>flownet.pkl</c> as vs-rife mirrors
/// it on its GitHub release, pinned by size and SHA-256. Where the hash comes from and why it is trusted:
/// docs/decisions/0006-rife-download-pin.md.
/// </summary>
public static class RifeRelease
{
    /// <summary>The default of [ModelOptions] RifeModelUrl.</summary>
    public static readonly Uri Url = new("https://github.com/HolyWu/vs-rife/releases/download/model/flownet_v4.25.pkl");

    /// <summary>The default of [ModelOptions] RifeModelSha256.</summary>
    public const string Sha256 = "6615790efd627772917205db291f51cd392528a157ecbb2ecaeec3bff8eb6de2";

    /// <summary>Bytes of the pinned file; checked unless RifeModelSha256 names another file.</summary>
    public const long Size = 24_636_301;
}
