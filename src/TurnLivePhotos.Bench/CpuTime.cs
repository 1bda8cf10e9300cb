using System.Globalization;

namespace TurnLivePhotos.Bench;

/// <summary>
/// <see cref="ProcessorTime"/> kept apart: this process's CPU time (all its threads) and its finished child
/// processes' (the ffmpeg encoders), so a stage's figure says how much of it was ffmpeg.
/// </summary>
public readonly record struct CpuTime(TimeSpan Process, TimeSpan? Children)
{
    public static CpuTime Now()
    {
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        return new CpuTime(self.TotalProcessorTime, ProcessorTime.Children());
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
    public static string MachineLoad() => $"load {ProcessorTime.LoadAverage()} on {Environment.ProcessorCount} cores";
}
