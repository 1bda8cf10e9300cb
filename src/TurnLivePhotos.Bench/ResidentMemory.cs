using System.Diagnostics;

namespace TurnLivePhotos.Bench;

/// <summary>Resident memory of this process, from /proc (Linux); elsewhere the managed working set.</summary>
public static class ResidentMemory
{
    public static long Current() => Read("VmRSS:") ?? Environment.WorkingSet;

    public static long Peak() => Read("VmHWM:") ?? Process.GetCurrentProcess().PeakWorkingSet64;

    private static long? Read(string field)
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status))
        {
            return null;
        }

        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
        var kilobytes = line?.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1];
        return kilobytes is null ? null : long.Parse(kilobytes, System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }
}
