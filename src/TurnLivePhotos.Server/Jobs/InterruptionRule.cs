namespace TurnLivePhotos.Server.Jobs;

/// <summary>
/// The one rule for a job whose run was cut short by its process dying (a restart, or a worker whose lease ran out):
/// it is queued once more, and failed when it is interrupted a second time.
/// </summary>
public static class InterruptionRule
{
    /// <summary>How many interruptions a job survives.</summary>
    public const int Allowed = 1;

    public const string RestartedTwice = "interrupted twice by a server restart";

    public const string LeaseExpiredTwice = "interrupted twice: its worker stopped answering (lease expired)";
}
