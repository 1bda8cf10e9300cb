using System.CommandLine;
using Microsoft.Extensions.Hosting;
using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Server;

namespace TurnLivePhotos.Commands;

/// <summary>
/// <c>worker</c>: runs jobs from the shared PostgreSQL job store with this machine's engines, serving no HTTP. Start
/// one per GPU or machine beside a <c>serve --no-worker</c>; stops on Ctrl+C or SIGTERM, giving a running job back.
/// </summary>
public static class WorkerCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var progressBar = new Option<bool>("--progress-bar") { Description = "Log each job's progress, step by step" };
        var command = new Command("worker", "Run jobs from the shared PostgreSQL job store ([StoreOptions] JobStore) without serving HTTP");
        command.Options.Add(progressBar);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = CommonOptions.LoadSettings(parse, []);
            if (RequireSharedStore(settings, "worker") is { } refusal)
            {
                await error.WriteLineAsync(refusal);
                return Cli.UsageError;
            }

            if (CommonOptions.GpuMemoryLimitNote(settings) is { } note)
            {
                await error.WriteLineAsync(note);
            }

            using var host = ServerHost.BuildWorker(settings, new ServerOptions
            {
                LogLevel = CommonOptions.ParseLogLevel(parse),
                ReportProgress = parse.GetValue(progressBar),
            });
            await host.StartAsync(cancellationToken);
            await output.WriteLineAsync($"Worker taking jobs from {settings.Store.JobStore.Describe()}, files in {settings.Store.OutputsHome}");
            await output.FlushAsync(cancellationToken);
            await host.WaitForShutdownAsync(cancellationToken);
            return Cli.Success;
        });
        return command;
    }

    /// <summary>The error line for a role that needs a store shared between processes, or null when JobStore is PostgreSQL.</summary>
    public static string? RequireSharedStore(AppSettings settings, string role) =>
        settings.Store.JobStore.Kind == JobStoreKind.PostgreSql
            ? null
            : $"error: {role} needs a job store shared between processes: set [StoreOptions] JobStore (or TLP_StoreOptions__JobStore) to a PostgreSQL connection string such as Host=db.lan;Database=tlp;Username=tlp;Password=…";
}
