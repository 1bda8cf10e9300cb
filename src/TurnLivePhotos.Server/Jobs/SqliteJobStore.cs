using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace TurnLivePhotos.Server.Jobs;

/// <summary>
/// The job list in SQLite (OutputsHome/jobs.db): the request and the files as JSON in the jobs' own types (enums
/// by name). Queued and finished jobs survive a restart; progress within a run stays in memory.
/// </summary>
public sealed class SqliteJobStore : IJobStore
{
    private readonly string connectionString;

    public SqliteJobStore(string outputsHome)
    {
        Directory.CreateDirectory(outputsHome);
        connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(outputsHome, "jobs.db"), Pooling = false }.ToString();
        Execute("""
            CREATE TABLE IF NOT EXISTS jobs (
                id TEXT PRIMARY KEY,
                created_at TEXT NOT NULL,
                state TEXT NOT NULL,
                request TEXT NOT NULL,
                message TEXT,
                files TEXT NOT NULL DEFAULT '{}',
                attempts INTEGER NOT NULL DEFAULT 0,
                finished_at TEXT)
            """);
    }

    public void Add(JobRecord job) => Execute(
        "INSERT INTO jobs (id, created_at, state, request, message, files, attempts, finished_at) VALUES ($id, $created, $state, $request, $message, $files, $attempts, $finished)",
        Parameters(job));

    public void Update(JobRecord job) => Execute(
        "UPDATE jobs SET state = $state, message = $message, files = $files, attempts = $attempts, finished_at = $finished WHERE id = $id",
        Parameters(job));

    public JobRecord? Get(string id) => Query("SELECT * FROM jobs WHERE id = $id", [("$id", id)]).FirstOrDefault();

    /// <summary>Newest first.</summary>
    public (IReadOnlyList<JobRecord> Jobs, int Total) List(int page, int pageSize)
    {
        var jobs = Query("SELECT * FROM jobs ORDER BY created_at DESC, rowid DESC LIMIT $limit OFFSET $offset",
            [("$limit", pageSize), ("$offset", (page - 1) * pageSize)]);
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM jobs";
        return (jobs, Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture));
    }

    public IReadOnlyList<JobRecord> InState(JobState state) =>
        Query("SELECT * FROM jobs WHERE state = $state ORDER BY created_at, rowid", [("$state", state.ToString())]);

    public IReadOnlyList<JobRecord> FinishedBefore(DateTimeOffset cutoff) =>
        Query("SELECT * FROM jobs WHERE finished_at IS NOT NULL AND finished_at < $cutoff", [("$cutoff", cutoff.UtcDateTime.ToString("O", CultureInfo.InvariantCulture))]);

    public void Delete(string id) => Execute("DELETE FROM jobs WHERE id = $id", [("$id", id)]);

    private static (string, object?)[] Parameters(JobRecord job) =>
    [
        ("$id", job.Id),
        ("$created", job.CreatedAt.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)),
        ("$state", job.State.ToString()),
        ("$request", JsonSerializer.Serialize(job.Request, JobJsonContext.Default.JobRequest)),
        ("$message", job.Message),
        ("$files", JsonSerializer.Serialize(job.Files, JobJsonContext.Default.IReadOnlyDictionaryOutputFormatString)),
        ("$attempts", job.Attempts),
        ("$finished", job.FinishedAt?.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)),
    ];

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(connectionString);
        connection.Open();
        return connection;
    }

    private void Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        command.ExecuteNonQuery();
    }

    private List<JobRecord> Query(string sql, (string Name, object? Value)[] parameters)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        using var reader = command.ExecuteReader();
        var jobs = new List<JobRecord>();
        while (reader.Read())
        {
            jobs.Add(new JobRecord(
                reader.GetString(reader.GetOrdinal("id")),
                DateTimeOffset.Parse(reader.GetString(reader.GetOrdinal("created_at")), CultureInfo.InvariantCulture),
                Enum.Parse<JobState>(reader.GetString(reader.GetOrdinal("state"))),
                JsonSerializer.Deserialize(reader.GetString(reader.GetOrdinal("request")), JobJsonContext.Default.JobRequest)!,
                reader.IsDBNull(reader.GetOrdinal("message")) ? null : reader.GetString(reader.GetOrdinal("message")),
                JsonSerializer.Deserialize(reader.GetString(reader.GetOrdinal("files")), JobJsonContext.Default.IReadOnlyDictionaryOutputFormatString) ?? new Dictionary<TurnLivePhotos.Media.Formats.OutputFormat, string>(),
                reader.GetInt32(reader.GetOrdinal("attempts")),
                reader.IsDBNull(reader.GetOrdinal("finished_at")) ? null : DateTimeOffset.Parse(reader.GetString(reader.GetOrdinal("finished_at")), CultureInfo.InvariantCulture)));
        }

        return jobs;
    }
}
