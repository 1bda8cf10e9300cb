namespace TurnLivePhotos.Core.Parameters;

/// <summary>
/// Presets a person understands (<c>--quality</c>, [ModelOptions] Quality, the page): each is only a named bundle
/// of existing generation settings (<see cref="QualityPresets"/>), applied under whatever the person set explicitly.
/// </summary>
public enum Quality
{
    /// <summary>Seconds-to-minutes: the few-step AnimateLCM sampler when its UNet weights are there (else fewer Euler steps), 14 frames, long side 512.</summary>
    Fast,

    /// <summary>The defaults: 25 frames, 25 Euler steps, 1024×576.</summary>
    Standard,

    /// <summary>More Euler steps at 1024×576.</summary>
    Best,
}
