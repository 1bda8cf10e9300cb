using Microsoft.Data.Sqlite;
using TurnLivePhotos.Server.Jobs;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Server;

/// <summary>The shared store suite on SQLite (OutputsHome/jobs.db), plus the upgrade of a jobs.db the first release wrote.</summary>
public sealed class SqliteJobStoreTests : JobStoreContract, IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    protected override IJobStore OpenStore() => new SqliteJobStore(folder.Path);

    [Fact]
    public void A_jobs_db_of_the_first_schema_is_migrated_in_place_and_keeps_its_jobs()
    {
        using (var connection = new SqliteConnection($"Data Source={folder["jobs.db"]};Pooling=False"))
        {
            connection.Open();
            using var create = connection.CreateCommand();
            create.CommandText = """
                CREATE TABLE jobs (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, state TEXT NOT NULL, request TEXT NOT NULL,
                    message TEXT, files TEXT NOT NULL DEFAULT '{}', attempts INTEGER NOT NULL DEFAULT 0, finished_at TEXT);
                INSERT INTO jobs (id, created_at, state, request) VALUES ('old', '2026-11-01T10:00:00.0000000Z', 'Queued',
                    '{"Parameters":{"Frames":6},"Engine":"Classic","Formats":["Gif"]}');
                """;
            create.ExecuteNonQuery();
        }

        var store = OpenStore();
        _ = OpenStore();

        Assert.Equal(1, store.QueuePosition("old"));
        Assert.Equal("old", store.Claim("w", TimeSpan.FromMinutes(1))?.Id);
        using var check = new SqliteConnection($"Data Source={folder["jobs.db"]};Pooling=False");
        check.Open();
        using var version = check.CreateCommand();
        version.CommandText = "PRAGMA user_version";
        Assert.Equal((long)SqliteJobStore.SchemaVersion, version.ExecuteScalar());
    }
}
