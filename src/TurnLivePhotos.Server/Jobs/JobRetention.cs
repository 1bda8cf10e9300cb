using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TurnLivePhotos.Core.Configuration;

namespace TurnLivePhotos.Server.Jobs;

/// <summary>
/// Finished jobs older than <c>[StoreOptions] KeepJobsDays</c> are deleted with their files (0 keeps them): once at
/// start-up, before the <see cref="JobWorker"/> takes jobs, and then every <c>RetentionIntervalMinutes</c> while the process runs,
/// so a server that stays up for weeks is bounded too. With a shared store every process sweeps; a job another one
/// deleted first is simply gone. The GIFs earlier versions of <c>POST /generate</c> left in OutputsHome itself expire
/// by their age the same way.
/// </summary>
public sealed class JobRetention(IJobStore store, JobFiles files, OutputLocation outputs, AppSettings settings, ILogger<JobRetention> logger) : BackgroundService
{
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        Sweep();
        return base.StartAsync(cancellationToken);
    }

    /// <summary>Deletes every expired job; returns how many.</summary>
    public int Sweep()
    {
        if (settings.Store.KeepJobsDays <= 0)
        {
            return 0;
        }

        var cutoff = DateTimeOffset.UtcNow.AddDays(-settings.Store.KeepJobsDays);
        var deleted = 0;
        foreach (var old in store.FinishedBefore(cutoff))
        {
            try
            {
                files.Delete(old.Id);
            }
            catch (DirectoryNotFoundException)
            {
                // Another process of a shared store deleted it first.
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A file in use or locked: the record stays, so the next sweep tries again.
                logger.LogWarning("Retention: the files of job {Job} could not be deleted ({Reason}); trying again later", old.Id, ex.Message);
                continue;
            }

            store.Delete(old.Id);
            deleted++;
        }

        foreach (var legacy in outputs.LegacyGenerateResults().Where(file => file.LastWriteTimeUtc < cutoff.UtcDateTime))
        {
            try
            {
                legacy.Delete();
                deleted++;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                logger.LogWarning("Retention: {File} could not be deleted ({Reason}); trying again later", legacy.Name, ex.Message);
            }
        }

        if (deleted > 0)
        {
            logger.LogInformation("Retention: deleted {Count} job(s) or old results older than {Days} days", deleted, settings.Store.KeepJobsDays);
        }

        return deleted;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(settings.Store.RetentionInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    Sweep();
                }
                catch (Exception ex) when (ex is Npgsql.NpgsqlException or Microsoft.Data.Sqlite.SqliteException or TimeoutException or IOException)
                {
                    // The store may be unreachable for a while (a shared database restarting): the next tick tries again.
                    logger.LogWarning("Retention: sweep failed ({Reason}); trying again in {Interval}", ex.Message, settings.Store.RetentionInterval);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
