using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using TurnLivePhotos.Core.Conversion;
using TurnLivePhotos.Engine;

namespace TurnLivePhotos.Server.Jobs;

/// <summary>
/// The job list in SQLite (OutputsHome/jobs.db): the request and the files as JSON in the jobs' own types (enums
/// by name). Queued and finished jobs survive a restart; progress within a run stays in memory. The schema is
/// versioned by <c>PRAGMA user_version</c>: version 1 is the table as the first release made it (so an existing
/// jobs.db is taken as it is), version 2 adds the lease columns of the shared queue, version 3 the photo's name and
/// the outcome's engine and failure kind, version 4 the frame-interpolation note. Times are ISO 8601 text in UTC
/// from this machine's clock (one machine uses a SQLite file).
/// </summary>
public sealed class SqliteJobStore : IJobStore
{
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE IF NOT EXISTS jobs (
            id TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            state TEXT NOT NULL,
            request TEXT NOT NULL,
            message TEXT,
            files TEXT NOT NULL DEFAULT '{}',
            attempts INTEGER NOT NULL DEFAULT 0,
            finished_at TEXT)
        """,
        """
        ALTER TABLE jobs ADD COLUMN started_at TEXT;
        ALTER TABLE jobs ADD COLUMN worker TEXT;
        ALTER TABLE jobs ADD COLUMN lease_until TEXT;
        ALTER TABLE jobs ADD COLUMN cancel_requested INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE jobs ADD COLUMN progress TEXT;
        CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state);
        """,
        """
        ALTER TABLE jobs ADD COLUMN photo_name TEXT NOT NULL DEFAULT 'photo';
        ALTER TABLE jobs ADD COLUMN engine TEXT;
        ALTER TABLE jobs ADD COLUMN failure TEXT;
        """,
        """
        ALTER TABLE jobs ADD COLUMN interpolation_note TEXT;
        """,
    ];

    private readonly string connectionString;

    public SqliteJobStore(string outputsHome)
    {
        Directory.CreateDirectory(outputsHome);
        connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(outputsHome, "jobs.db"), Pooling = false }.ToString();
        Migrate();
    }

    /// <summary>The schema version this build writes.</summary>
    public static int SchemaVersion => Migrations.Length;

    public void Add(JobRecord job) => Execute(
        "INSERT INTO jobs (id, created_at, state, request, message, files, attempts, finished_at, photo_name, engine, failure, interpolation_note) VALUES ($id, $created, $state, $request, $message, $files, $attempts, $finished, $photo, $engine, $failure, $note)",
        Parameters(job));

    public void Update(JobRecord job) => Execute(
        "UPDATE jobs SET state = $state, message = $message, files = $files, attempts = $attempts, finished_at = $finished, engine = $engine, failure = $failure, interpolation_note = $note WHERE id = $id",
        Parameters(job));

    public JobRecord? Get(string id) => Query("SELECT rowid, * FROM jobs WHERE id = $id", ("$id", id)).FirstOrDefault();

    /// <summary>Newest first.</summary>
    public (IReadOnlyList<JobRecord> Jobs, int Total) List(int page, int pageSize)
    {
        var jobs = Query("SELECT rowid, * FROM jobs ORDER BY created_at DESC, rowid DESC LIMIT $limit OFFSET $offset",
            ("$limit", pageSize), ("$offset", (page - 1) * pageSize));
        return (jobs, Scalar("SELECT COUNT(*) FROM jobs"));
    }

    public IReadOnlyList<JobRecord> InState(JobState state) =>
        Query("SELECT rowid, * FROM jobs WHERE state = $state ORDER BY created_at, rowid", ("$state", state.ToString()));

    public IReadOnlyList<JobRecord> FinishedBefore(DateTimeOffset cutoff) =>
        Query("SELECT rowid, * FROM jobs WHERE finished_at IS NOT NULL AND finished_at < $cutoff", ("$cutoff", Text(cutoff)));

    public void Delete(string id) => Execute("DELETE FROM jobs WHERE id = $id", ("$id", id));

    // One statement is one atomic step in SQLite (the database is locked for its write), so the count and the
    // insert cannot be split by another process.
    public bool TryEnqueue(JobRecord job, int maxQueued) => Execute(
        """
        INSERT INTO jobs (id, created_at, state, request, message, files, attempts, finished_at, photo_name, engine, failure, interpolation_note)
        SELECT $id, $created, $state, $request, $message, $files, $attempts, $finished, $photo, $engine, $failure, $note
        WHERE (SELECT COUNT(*) FROM jobs WHERE state = 'Queued') < $max
        """,
        [.. Parameters(job with { State = JobState.Queued }), ("$max", maxQueued)]) == 1;

    public int QueuedCount() => Scalar("SELECT COUNT(*) FROM jobs WHERE state = 'Queued'");

    public int? QueuePosition(string id)
    {
        var position = Scalar(
            "SELECT COUNT(*) FROM jobs WHERE state = 'Queued' AND rowid <= (SELECT rowid FROM jobs WHERE id = $id AND state = 'Queued')", ("$id", id));
        return position == 0 ? null : position;
    }

    public JobRecord? Claim(string worker, TimeSpan lease) => Query(
        """
        UPDATE jobs SET state = 'Running', worker = $worker, lease_until = $lease, started_at = $now, progress = NULL
        WHERE id = (SELECT id FROM jobs WHERE state = 'Queued' ORDER BY rowid LIMIT 1)
        RETURNING rowid, *
        """,
        ("$worker", worker), ("$lease", Text(DateTimeOffset.UtcNow + lease)), ("$now", Text(DateTimeOffset.UtcNow))).FirstOrDefault();

    public LeaseState Renew(string id, string worker, TimeSpan lease, MotionProgress? progress)
    {
        using var connection = Open();
        using var command = Command(connection,
            """
            UPDATE jobs SET lease_until = $lease, progress = COALESCE($progress, progress)
            WHERE id = $id AND worker = $worker AND state = 'Running'
            RETURNING cancel_requested
            """,
            ("$id", id), ("$worker", worker), ("$lease", Text(DateTimeOffset.UtcNow + lease)),
            ("$progress", progress is null ? null : JsonSerializer.Serialize(progress, JobJsonContext.Default.MotionProgress)));
        return command.ExecuteScalar() switch
        {
            null => LeaseState.Lost,
            long flag when flag != 0 => LeaseState.CancelRequested,
            _ => LeaseState.Held,
        };
    }

    public bool Finish(string worker, JobRecord last)
    {
        ArgumentNullException.ThrowIfNull(last);
        return Execute(
            """
            UPDATE jobs SET state = $state, message = $message, files = $files, attempts = $attempts, finished_at = $finished,
                engine = $engine, failure = $failure, interpolation_note = $note, worker = NULL, lease_until = NULL, progress = NULL, cancel_requested = 0,
                started_at = CASE WHEN $state = 'Queued' THEN NULL ELSE started_at END
            WHERE id = $id AND worker = $worker AND state = 'Running'
            """,
            [.. Parameters(last), ("$worker", worker)]) == 1;
    }

    public CancelOutcome RequestCancel(string id)
    {
        using var connection = Open();
        using var command = Command(connection,
            """
            UPDATE jobs SET
                cancel_requested = 1,
                message = CASE WHEN state = 'Queued' THEN 'canceled' ELSE message END,
                finished_at = CASE WHEN state = 'Queued' THEN $now ELSE finished_at END,
                state = CASE WHEN state = 'Queued' THEN 'Canceled' ELSE state END
            WHERE id = $id AND state IN ('Queued', 'Running')
            RETURNING state
            """,
            ("$id", id), ("$now", Text(DateTimeOffset.UtcNow)));
        return command.ExecuteScalar() switch
        {
            "Canceled" => CancelOutcome.CanceledWhileQueued,
            "Running" => CancelOutcome.Requested,
            _ => Get(id) is null ? CancelOutcome.NotFound : CancelOutcome.AlreadyFinished,
        };
    }

    public IReadOnlyList<JobRecord> ExpireLeases(bool everyRunningJob = false)
    {
        var now = Text(DateTimeOffset.UtcNow);
        return Query(
            """
            UPDATE jobs SET
                state = CASE WHEN cancel_requested THEN 'Canceled' WHEN attempts + 1 > $allowed THEN 'Failed' ELSE 'Queued' END,
                message = CASE WHEN cancel_requested THEN 'canceled' WHEN attempts + 1 > $allowed THEN $failed ELSE message END,
                finished_at = CASE WHEN cancel_requested OR attempts + 1 > $allowed THEN $now ELSE NULL END,
                attempts = attempts + 1, worker = NULL, lease_until = NULL, progress = NULL, started_at = NULL
            WHERE state = 'Running' AND ($every OR (lease_until IS NOT NULL AND lease_until < $now))
            RETURNING rowid, *
            """,
            ("$now", now), ("$every", everyRunningJob), ("$allowed", InterruptionRule.Allowed),
            ("$failed", everyRunningJob ? InterruptionRule.RestartedTwice : InterruptionRule.LeaseExpiredTwice));
    }

    private void Migrate()
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        using var version = connection.CreateCommand();
        version.Transaction = transaction;
        version.CommandText = "PRAGMA user_version";
        var current = Convert.ToInt32(version.ExecuteScalar(), CultureInfo.InvariantCulture);
        for (var next = current; next < Migrations.Length; next++)
        {
            using var migrate = connection.CreateCommand();
            migrate.Transaction = transaction;
            migrate.CommandText = Migrations[next] + $";\nPRAGMA user_version = {next + 1};";
            migrate.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    private static string Text(DateTimeOffset time) => time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    private static (string, object?)[] Parameters(JobRecord job) =>
    [
        ("$id", job.Id),
        ("$created", Text(job.CreatedAt)),
        ("$state", job.State.ToString()),
        ("$request", JsonSerializer.Serialize(job.Request, JobJsonContext.Default.JobRequest)),
        ("$message", job.Message),
        ("$files", JsonSerializer.Serialize(job.Files, JobJsonContext.Default.IReadOnlyDictionaryOutputFormatString)),
        ("$attempts", job.Attempts),
        ("$finished", job.FinishedAt is { } finished ? Text(finished) : null),
        ("$photo", job.PhotoName),
        ("$engine", job.EngineName),
        ("$failure", job.Failure?.ToString()),
        ("$note", job.InterpolationNote),
    ];

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(connectionString);
        connection.Open();

        // Several connections (processes) write the file: a writer that finds it locked waits inside SQLite for up
        // to 30 s instead of failing at once (a statement with RETURNING meets the lock while its rows are read,
        // where the provider's own retry does not apply).
        using var wait = connection.CreateCommand();
        wait.CommandText = "PRAGMA busy_timeout = 30000";
        wait.ExecuteNonQuery();
        return connection;
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    private int Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        using var connection = Open();
        using var command = Command(connection, sql, parameters);
        return command.ExecuteNonQuery();
    }

    private int Scalar(string sql, params (string Name, object? Value)[] parameters)
    {
        using var connection = Open();
        using var command = Command(connection, sql, parameters);
        return Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private List<JobRecord> Query(string sql, params (string Name, object? Value)[] parameters)
    {
        using var connection = Open();
        using var command = Command(connection, sql, parameters);
        using var reader = command.ExecuteReader();
        var jobs = new List<JobRecord>();
        while (reader.Read())
        {
            string? Optional(string column) => reader.IsDBNull(reader.GetOrdinal(column)) ? null : reader.GetString(reader.GetOrdinal(column));
            DateTimeOffset? Time(string column) => Optional(column) is { } text ? DateTimeOffset.Parse(text, CultureInfo.InvariantCulture) : null;
            jobs.Add(new JobRecord(
                reader.GetString(reader.GetOrdinal("id")),
                Time("created_at")!.Value,
                Enum.Parse<JobState>(reader.GetString(reader.GetOrdinal("state"))),
                JsonSerializer.Deserialize(reader.GetString(reader.GetOrdinal("request")), JobJsonContext.Default.JobRequest)!,
                Optional("message"),
                JsonSerializer.Deserialize(reader.GetString(reader.GetOrdinal("files")), JobJsonContext.Default.IReadOnlyDictionaryOutputFormatString) ?? new Dictionary<TurnLivePhotos.Media.Formats.OutputFormat, string>(),
                reader.GetInt32(reader.GetOrdinal("attempts")),
                Time("finished_at"))
            {
                Sequence = reader.GetInt64(0),
                StartedAt = Time("started_at"),
                Progress = Optional("progress") is { } progress ? JsonSerializer.Deserialize(progress, JobJsonContext.Default.MotionProgress) : null,
                CancelRequested = reader.GetInt64(reader.GetOrdinal("cancel_requested")) != 0,
                PhotoName = reader.GetString(reader.GetOrdinal("photo_name")),
                EngineName = Optional("engine"),
                Failure = Optional("failure") is { } failure ? Enum.Parse<FailureKind>(failure) : null,
                InterpolationNote = Optional("interpolation_note"),
            });
        }

        return jobs;
    }
}
