namespace TurnLivePhotos.Core.Configuration;

/// <summary>A configuration key: its [Section] and name, and the path a command-line override sets it by.</summary>
public sealed record SettingKey(string Section, string Key)
{
    /// <summary>"OutputOptions:Formats", as Microsoft.Extensions.Configuration addresses it.</summary>
    public string Path => $"{Section}:{Key}";

    public override string ToString() => $"[{Section}] {Key}";
}

/// <summary>
/// The keys a command-line flag sets besides the generation parameters (those are rows of
/// <see cref="Parameters.MotionParameterTable"/>): one definition that the loader reads and the CLI writes.
/// </summary>
public static class SettingKeys
{
    public static readonly SettingKey Engine = new("ModelOptions", "Engine");
    public static readonly SettingKey GpuMemoryLimitMb = new("ModelOptions", "GpuMemoryLimitMb");
    public static readonly SettingKey Interpolation = new("ModelOptions", "Interpolation");
    public static readonly SettingKey RifeModelPath = new("ModelOptions", "RifeModelPath");
    public static readonly SettingKey RifeModelUrl = new("ModelOptions", "RifeModelUrl");
    public static readonly SettingKey RifeModelSha256 = new("ModelOptions", "RifeModelSha256");
    public static readonly SettingKey Formats = new("OutputOptions", "Formats");
    public static readonly SettingKey Loop = new("OutputOptions", "Loop");
    public static readonly SettingKey StripMetadata = new("OutputOptions", "StripMetadata");
    public static readonly SettingKey SamsungTrailer = new("OutputOptions", "SamsungTrailer");
    public static readonly SettingKey AppleStill = new("OutputOptions", "AppleStill");
    public static readonly SettingKey Host = new("WebOptions", "Host");
    public static readonly SettingKey Port = new("WebOptions", "Port");
}
