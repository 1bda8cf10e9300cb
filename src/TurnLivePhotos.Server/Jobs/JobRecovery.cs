using Microsoft.Extensions.Hosting;

namespace TurnLivePhotos.Server.Jobs;

/// <summary>
/// At start-up of the one process that runs jobs with SQLite (after <see cref="JobRetention"/>): jobs queued before a
/// restart run again; a job that was running when the process died is queued once more, and failed if it was
/// interrupted twice (<see cref="InterruptionRule"/>). With a shared store, expired leases do this instead.
/// </summary>
public sealed class JobRecovery(IJobStore store, JobFiles files, JobManager manager) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var interrupted in store.InState(JobState.Running))
        {
            var attempts = interrupted.Attempts + 1;
            store.Update(attempts > InterruptionRule.Allowed
                ? interrupted with { State = JobState.Failed, Attempts = attempts, Message = InterruptionRule.RestartedTwice, FinishedAt = DateTimeOffset.UtcNow }
                : interrupted with { State = JobState.Queued, Attempts = attempts });
        }

        foreach (var queued in store.InState(JobState.Queued))
        {
            if (files.ReadInput(queued.Id) is { } input)
            {
                manager.Resume(queued, File.ReadAllBytes(input));
            }
            else
            {
                store.Update(queued with { State = JobState.Failed, Message = "could not be queued again after a restart: its photo is gone", FinishedAt = DateTimeOffset.UtcNow });
            }
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
