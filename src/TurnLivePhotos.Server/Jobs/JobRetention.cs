using Microsoft.Extensions.Hosting;
using TurnLivePhotos.Core.Configuration;

namespace TurnLivePhotos.Server.Jobs;

/// <summary>At start-up: finished jobs older than <c>[StoreOptions] KeepJobsDays</c> are deleted with their files (0 keeps them).</summary>
public sealed class JobRetention(IJobStore store, JobFiles files, AppSettings settings) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (settings.Store.KeepJobsDays <= 0)
        {
            return Task.CompletedTask;
        }

        foreach (var old in store.FinishedBefore(DateTimeOffset.UtcNow.AddDays(-settings.Store.KeepJobsDays)))
        {
            try
            {
                files.Delete(old.Id);
            }
            catch (DirectoryNotFoundException)
            {
                // Another process of a shared store deleted it first.
            }

            store.Delete(old.Id);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
