using TurnLivePhotos.Core.Conversion;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Media.Formats;

namespace TurnLivePhotos.Server.Jobs;

/// <summary>What a job was asked to do, in its own types, as stored with it (so a restart can run it again).</summary>
public sealed record JobRequest(MotionParameters Parameters, EngineKind Engine, IReadOnlyList<OutputFormat> Formats, LoopMode? Loop)
{
    /// <summary>
    /// The one mapping from a job to a conversion: the job's parameters, engine, formats and loop over the server's
    /// output settings (metadata policy, Samsung trailer); its files are named after the uploaded photo, by the rule
    /// <c>convert</c> uses.
    /// </summary>
    public ConversionRequest ToConversion(byte[] photo, string folder, string photoName, OutputOptions outputDefaults)
    {
        ArgumentNullException.ThrowIfNull(outputDefaults);
        return new ConversionRequest(photo, Parameters, Engine, folder, photoName)
        {
            Outputs = outputDefaults with { Formats = Formats, Loop = Loop, FormatsRequested = true },
        };
    }
}
