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

    /// <summary>[WebOptions] JobTimeoutMinutes: under a second to a week (fractions allowed).</summary>
    public static readonly Range<double> JobTimeoutMinutes = new(0.01, 10_080);

    /// <summary>[StoreOptions] RetentionIntervalMinutes: under a second to a week.</summary>
    public static readonly Range<double> RetentionIntervalMinutes = new(0.01, 10_080);

    /// <summary>[StoreOptions] MaxOutputsGb: 0 (no limit) to a petabyte.</summary>
    public static readonly Range<double> MaxOutputsGb = new(0, 1_000_000);

    /// <summary>[ModelOptions] GpuMemoryLimitMb / --max-split-size-mb: 64 MB to 1 TB.</summary>
    public static readonly Range<int> GpuMemoryLimitMb = new(64, 1 << 20);
}
