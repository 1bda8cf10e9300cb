namespace TurnLivePhotos.Media.Colour;

/// <summary>
/// The RGB space of the engines' frames: the photo's own when it is sRGB or Display P3, sRGB for everything else
/// (converted at decode). See docs/decisions/0002-colour.md.
/// </summary>
public enum RgbSpace
{
    /// <summary>IEC 61966-2-1 sRGB; also a photo with no ICC profile. Videos are tagged BT.709.</summary>
    Srgb,

    /// <summary>
    /// Apple's Display P3: SMPTE EG 432-1 primaries, D65 white, the sRGB transfer curve. Phone videos stay in it and
    /// are tagged as an iPhone tags its movies (primaries SMPTE 432, transfer BT.709, matrix SMPTE 170M).
    /// </summary>
    DisplayP3,
}
