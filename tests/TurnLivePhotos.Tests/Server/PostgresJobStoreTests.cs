using Npgsql;
using TurnLivePhotos.Server.Jobs;
using TurnLivePhotos.Server.Jobs.Postgres;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Server;

/// <summary>The shared store suite on a real PostgreSQL (a private cluster on loopback, one database per test), plus its migrations.</summary>
[Collection(PostgresCollection.Name)]
[ToolsForEveryFact("initdb", "pg_ctl")]
public sealed class PostgresJobStoreTests(PostgresCluster cluster) : JobStoreContract, IDisposable
{
    private readonly Lazy<string> database = new(cluster.CreateDatabase);
    private readonly List<PostgresJobStore> opened = [];

    public void Dispose()
    {
        foreach (var store in opened)
        {
            store.Dispose();
        }
    }

    protected override IJobStore OpenStore()
    {
        var store = new PostgresJobStore(database.Value);
        lock (opened)
        {
            opened.Add(store);
        }

        return store;
    }

    [SuiteFact]
    public async Task Migrations_run_once_even_when_processes_start_together()
    {
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(OpenStore)));
        using var store = new PostgresJobStore(database.Value);

        Assert.Empty(PostgresMigrations.Apply(store.Database));
        await using var connection = await store.Database.OpenConnectionAsync();
        await using var versions = new NpgsqlCommand("SELECT version FROM schema_migrations ORDER BY version", connection);
        await using var reader = await versions.ExecuteReaderAsync();
        var applied = new List<int>();
        while (await reader.ReadAsync())
        {
            applied.Add(reader.GetInt32(0));
        }

        Assert.Equal(PostgresMigrations.Steps.Select(step => step.Version), applied);
    }
}
