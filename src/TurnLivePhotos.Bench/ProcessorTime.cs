using System.Diagnostics;
using System.Globalization;

namespace TurnLivePhotos.Bench;

/// <summary>
/// CPU time spent so far by this process and by the child processes it has waited for (ffmpeg): on a shared, busy
/// machine wall time says more about the neighbours than about the code, CPU time does not. Linux /proc/self/stat
/// fields 16–17 (cutime, cstime, in clock ticks of 1/100 s); elsewhere this process only.
/// </summary>
public static class ProcessorTime
{
    public static TimeSpan Current() => Process.GetCurrentProcess().TotalProcessorTime + (Children() ?? TimeSpan.Zero);

    /// <summary>The CPU time of the child processes waited for so far; null where /proc is not there.</summary>
    public static TimeSpan? Children()
    {
        const string stat = "/proc/self/stat";
        if (!File.Exists(stat))
        {
            return null;
        }

        var text = File.ReadAllText(stat);
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' '); // fields[0] is field 3, the state
        var childTicks = long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(childTicks / 100.0);
    }

    /// <summary>The 1-minute load average (Linux), to say how busy the machine was while a figure was taken.</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";
}
