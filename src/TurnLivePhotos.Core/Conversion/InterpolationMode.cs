namespace TurnLivePhotos.Core.Conversion;

/// <summary>[ModelOptions] Interpolation (--interpolate): whether a short AI clip is brought to 30 fps with RIFE.</summary>
public enum InterpolationMode
{
    /// <summary>With the RIFE model at [ModelOptions] RifeModelPath; without it, each frame plays once (and a note says how to get it).</summary>
    Auto,

    Off,

    /// <summary>Always; a missing model is an error.</summary>
    Rife,
}
