using System.Globalization;

namespace TurnLivePhotos.Bench;

/// <summary>
/// CPU time spent so far by this process (all its threads) and by its finished child processes (the ffmpeg
/// encoders, once waited for). Wall times on a shared machine are upper bounds that depend on everyone else's
/// work; CPU time is what the work itself costs, so the benchmark prints both. Children's time comes from
/// /proc/self/stat (cutime + cstime, in USER_HZ = 100 ticks a second on every Linux ABI); elsewhere it is unknown.
/// </summary>
public readonly record struct CpuTime(TimeSpan Process, TimeSpan? Children)
{
    private const double TicksPerSecond = 100;

    public static CpuTime Now()
    {
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        return new CpuTime(self.TotalProcessorTime, ReadChildren());
    }

    public static CpuTime operator -(CpuTime after, CpuTime before) =>
        new(after.Process - before.Process, after.Children - before.Children);

    public double Seconds => Process.TotalSeconds + (Children ?? TimeSpan.Zero).TotalSeconds;

    /// <summary>"CPU 1.23 s", with the child processes' share when there is one ("CPU 0.40 s + ffmpeg 2.10 s").</summary>
    public override string ToString() =>
        Children is { } children && children > TimeSpan.Zero
            ? string.Create(CultureInfo.InvariantCulture, $"CPU {Process.TotalSeconds:0.00} s + ffmpeg {children.TotalSeconds:0.00} s")
            : string.Create(CultureInfo.InvariantCulture, $"CPU {Process.TotalSeconds:0.00} s");

    /// <summary>The 1-minute load average and the core count, to say how busy the machine was ("load 3.10 on 2 cores").</summary>
    public static string MachineLoad()
    {
        const string loadavg = "/proc/loadavg";
        var load = File.Exists(loadavg) ? File.ReadAllText(loadavg).Split(' ')[0] : "unknown";
        return $"load {load} on {Environment.ProcessorCount} cores";
    }

    private static TimeSpan? ReadChildren()
    {
        const string stat = "/proc/self/stat";
        if (!File.Exists(stat))
        {
            return null;
        }

        // After the command name in parentheses: field 3 (state) onwards; cutime and cstime are fields 16 and 17.
        var text = File.ReadAllText(stat);
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[16 - 3], CultureInfo.InvariantCulture) + long.Parse(fields[17 - 3], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }
}
