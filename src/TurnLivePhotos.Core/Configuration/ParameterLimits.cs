namespace TurnLivePhotos.Core.Configuration;

/// <summary>
/// The ranges a generation parameter may take, wherever it comes from (configuration, CLI, web form).
/// Values outside them crash or exhaust the engine, so they are refused up front.
/// </summary>
public static class ParameterLimits
{
    public static readonly Range<int> MotionBucketId = new(0, 255);
    public static readonly Range<double> NoiseAugStrength = new(0, 1);
    public static readonly Range<double> GuidanceScale = new(1, 10);
    public static readonly Range<int> Frames = new(1, 150);
    public static readonly Range<int> Fps = new(1, 60);
    public static readonly Range<int> InferenceSteps = new(1, 200);
    public static readonly Range<int> DecodeChunkSize = new(1, 150);
    public static readonly Range<int> ImagePromptSide = new(64, 4096);
    public static readonly Range<long> Seed = new(0, long.MaxValue);
    public static readonly Range<int> Port = new(0, 65535);
    public static readonly Range<long> MaxContentLength = new(1024, 2L * 1024 * 1024 * 1024);
    public static readonly Range<int> MaxQueuedJobs = new(1, 1000);
    public static readonly Range<int> MaxMegapixels = new(1, 1000);

    /// <summary>[ModelOptions] GpuMemoryLimitMb / --max-split-size-mb: 64 MB to 1 TB.</summary>
    public static readonly Range<int> GpuMemoryLimitMb = new(64, 1 << 20);
}

public readonly record struct Range<T>(T Min, T Max)
    where T : IComparable<T>
{
    public bool Contains(T value) => value.CompareTo(Min) >= 0 && value.CompareTo(Max) <= 0;

    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Min} to {Max}");
}
