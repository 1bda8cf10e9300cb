using TurnLivePhotos.Engine;

namespace TurnLivePhotos.Core.Configuration;

/// <summary>
/// The ranges of the settings that are not generation parameters (those are in the engine's
/// <see cref="MotionParameterTable"/>): how the server listens and what it accepts.
/// </summary>
public static class ParameterLimits
{
    public static readonly Range<int> Port = new(0, 65535);
    public static readonly Range<long> MaxContentLength = new(1024, 2L * 1024 * 1024 * 1024);
    public static readonly Range<int> MaxQueuedJobs = new(1, 1000);
    public static readonly Range<int> MaxMegapixels = new(1, 1000);
    public static readonly Range<int> MaxSidePixels = new(64, 65535);
    public static readonly Range<int> KeepJobsDays = new(0, 36500);
    public static readonly Range<int> LeaseSeconds = new(1, 3600);
    public static readonly Range<int> JobsPerMinute = new(0, 100_000);

    /// <summary>[ModelOptions] GpuMemoryLimitMb / --max-split-size-mb: 64 MB to 1 TB.</summary>
    public static readonly Range<int> GpuMemoryLimitMb = new(64, 1 << 20);
}
