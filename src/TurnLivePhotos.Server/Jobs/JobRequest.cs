using TurnLivePhotos.Core.Conversion;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Media.Formats;

namespace TurnLivePhotos.Server.Jobs;

/// <summary>What a job was asked to do, in its own types, as stored with it (so a restart can run it again).</summary>
public sealed record JobRequest(MotionParameters Parameters, EngineKind Engine, IReadOnlyList<OutputFormat> Formats, LoopMode? Loop)
{
    /// <summary>
    /// The one mapping from a job to a conversion: the job's parameters, engine, formats and loop over the server's
    /// output settings (metadata policy, Samsung trailer); named after the job's creation time.
    /// </summary>
    public ConversionRequest ToConversion(byte[] photo, string folder, DateTimeOffset createdAt, OutputOptions outputDefaults)
    {
        ArgumentNullException.ThrowIfNull(outputDefaults);
        var baseName = createdAt.ToLocalTime().ToString("yyyyMMdd_HHmmss", System.Globalization.CultureInfo.InvariantCulture);
        return new ConversionRequest(photo, Parameters, Engine, folder, baseName)
        {
            Outputs = outputDefaults with { Formats = Formats, Loop = Loop, FormatsRequested = true },
        };
    }
}
