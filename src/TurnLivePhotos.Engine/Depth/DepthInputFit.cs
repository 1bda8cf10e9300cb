namespace TurnLivePhotos.Engine.Depth;

/// <summary>How <see cref="DptImageProcessor"/> sizes a photo for the depth network when it keeps the aspect ratio.</summary>
public enum DepthInputFit
{
    /// <summary>transformers' rule: the side whose scale is closer to 1 gets the configured size (for a large photo, the short side: 686×518 for 4:3).</summary>
    ClosestScale,

    /// <summary>The photo fits inside the configured size: the long side gets it (518×392 for 4:3), about half the tokens.</summary>
    Inside,
}
