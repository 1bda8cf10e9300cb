namespace TurnLivePhotos.Media.Colour;

/// <summary>
/// The colour description of an encoded video (H.264 VUI and the MOV/MP4 colr nclx box, ITU-T H.273 code points in
/// ffmpeg's names) and the matrix ffmpeg's scaler converts RGB to YUV with, which must be the one declared.
/// </summary>
public sealed record VideoColour(string Primaries, string Transfer, string Matrix, string ScaleMatrix)
{
    /// <summary>sRGB frames: BT.709 primaries, transfer and matrix.</summary>
    public static VideoColour Bt709 { get; } = new("bt709", "bt709", "bt709", "bt709");

    /// <summary>
    /// Display P3 frames tagged as an iPhone tags its Live Photo movies (ffprobe on an iPhone 15 Plus MOV: primaries
    /// smpte432, transfer bt709, matrix smpte170m), so Photos and Android galleries show the P3 the still has.
    /// </summary>
    public static VideoColour DisplayP3 { get; } = new("smpte432", "bt709", "smpte170m", "bt601");

    public static VideoColour For(RgbSpace space) => space switch
    {
        RgbSpace.DisplayP3 => DisplayP3,
        _ => Bt709,
    };
}
