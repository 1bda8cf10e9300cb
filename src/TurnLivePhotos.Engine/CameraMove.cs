namespace TurnLivePhotos.Engine;

/// <summary>The camera move of the cinematic engine (<c>--camera</c>); Auto picks one from the depth's composition.</summary>
public enum CameraMove
{
    Auto,

    /// <summary>Forward, toward the scene: near things grow faster than far ones. A flat scene gets a plain push-in.</summary>
    Dolly,

    /// <summary>Sideways around a point in mid-depth: near and far things slide in opposite directions.</summary>
    Orbit,

    /// <summary>Upward around a point in mid-depth (a crane shot): the foreground sinks against the background.</summary>
    Rise,
}
