namespace TurnLivePhotos.Engine;

/// <summary>
/// The cinematic engine's camera: the move it makes (Auto chooses from the depth); only that engine reads it.
/// Mapped from <see cref="MotionParameters"/> by <see cref="MotionParameters.ToCamera"/>.
/// </summary>
public sealed record CameraOptions(CameraMove Move);
