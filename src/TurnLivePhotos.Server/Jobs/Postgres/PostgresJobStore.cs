using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using TurnLivePhotos.Core.Conversion;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Media.Formats;

namespace TurnLivePhotos.Server.Jobs.Postgres;

/// <summary>
/// The job list and queue in PostgreSQL, shared by a web front and any number of workers. Workers claim with
/// <c>SELECT … FOR UPDATE SKIP LOCKED</c> (two workers never get the same job, and a locked row makes a worker take
/// the next one instead of waiting); leases are timed by the database's clock, so machines whose clocks differ
/// agree on when a lease ran out. Every change a client sees is announced by the table's trigger
/// (<see cref="PostgresMigrations"/>), which <see cref="PostgresJobEvents"/> listens to.
/// </summary>
public sealed class PostgresJobStore : IJobStore, IDisposable
{
    /// <summary>pg_advisory_xact_lock key that makes the count of queued jobs and the insert one step ("TLPQUEUE").</summary>
    private const long EnqueueLockKey = 0x544C5051554555;

    private const string Columns = "seq, id, created_at, state, request, message, files, attempts, finished_at, started_at, cancel_requested, progress, photo_name, engine, failure, interpolation_note";

    public PostgresJobStore(string connectionString)
    {
        Database = NpgsqlDataSource.Create(connectionString);
        PostgresMigrations.Apply(Database);
    }

    public NpgsqlDataSource Database { get; }

    public void Add(JobRecord job) => Execute(
        "INSERT INTO jobs (id, created_at, state, request, message, files, attempts, finished_at, photo_name, engine, failure, interpolation_note) VALUES (@id, @created, @state, @request, @message, @files, @attempts, @finished, @photo, @engine, @failure, @note)",
        Parameters(job));

    public void Update(JobRecord job) => Execute(
        "UPDATE jobs SET state = @state, message = @message, files = @files, attempts = @attempts, finished_at = @finished, engine = @engine, failure = @failure, interpolation_note = @note WHERE id = @id",
        Parameters(job));

    public JobRecord? Get(string id) => Query($"SELECT {Columns} FROM jobs WHERE id = @id", ("id", id)).FirstOrDefault();

    public (IReadOnlyList<JobRecord> Jobs, int Total) List(int page, int pageSize) =>
        (Query($"SELECT {Columns} FROM jobs ORDER BY created_at DESC, seq DESC LIMIT @limit OFFSET @offset", ("limit", pageSize), ("offset", (page - 1) * pageSize)),
         Scalar("SELECT COUNT(*) FROM jobs"));

    public IReadOnlyList<JobRecord> InState(JobState state) =>
        Query($"SELECT {Columns} FROM jobs WHERE state = @state ORDER BY created_at, seq", ("state", state.ToString()));

    public IReadOnlyList<JobRecord> FinishedBefore(DateTimeOffset cutoff) =>
        Query($"SELECT {Columns} FROM jobs WHERE finished_at IS NOT NULL AND finished_at < @cutoff", ("cutoff", cutoff.ToUniversalTime()));

    public void Delete(string id) => Execute("DELETE FROM jobs WHERE id = @id", ("id", id));

    public bool TryEnqueue(JobRecord job, int maxQueued)
    {
        using var connection = Database.OpenConnection();
        using var transaction = connection.BeginTransaction();

        // Under READ COMMITTED two inserts could each count the other's row as absent; the lock makes them take turns.
        using (var lockQueue = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({EnqueueLockKey})", connection))
        {
            lockQueue.ExecuteNonQuery();
        }

        using var insert = Command(connection,
            """
            INSERT INTO jobs (id, created_at, state, request, message, files, attempts, finished_at, photo_name, engine, failure, interpolation_note)
            SELECT @id, @created, @state, @request, @message, @files, @attempts, @finished, @photo, @engine, @failure, @note
            WHERE (SELECT COUNT(*) FROM jobs WHERE state = 'Queued') < @max
            """,
            [.. Parameters(job with { State = JobState.Queued }), ("max", maxQueued)]);
        var added = insert.ExecuteNonQuery() == 1;
        transaction.Commit();
        return added;
    }

    public int QueuedCount() => Scalar("SELECT COUNT(*) FROM jobs WHERE state = 'Queued'");

    public int? QueuePosition(string id)
    {
        var position = Scalar(
            "SELECT COUNT(*) FROM jobs WHERE state = 'Queued' AND seq <= (SELECT seq FROM jobs WHERE id = @id AND state = 'Queued')", ("id", id));
        return position == 0 ? null : position;
    }

    public JobRecord? Claim(string worker, TimeSpan lease) => Query(
        $"""
        UPDATE jobs SET state = 'Running', worker = @worker, lease_until = now() + @lease, started_at = now(), progress = NULL
        WHERE id = (SELECT id FROM jobs WHERE state = 'Queued' ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING {Columns}
        """,
        ("worker", worker), ("lease", lease)).FirstOrDefault();

    public LeaseState Renew(string id, string worker, TimeSpan lease, MotionProgress? progress)
    {
        using var connection = Database.OpenConnection();
        using var command = Command(connection,
            """
            UPDATE jobs SET lease_until = now() + @lease, progress = COALESCE(@progress, progress)
            WHERE id = @id AND worker = @worker AND state = 'Running'
            RETURNING cancel_requested
            """,
            ("id", id), ("worker", worker), ("lease", lease), ("progress", progress is null ? null : Json(JsonSerializer.Serialize(progress, JobJsonContext.Default.MotionProgress))));
        return command.ExecuteScalar() switch
        {
            null => LeaseState.Lost,
            true => LeaseState.CancelRequested,
            _ => LeaseState.Held,
        };
    }

    public bool Finish(string worker, JobRecord last)
    {
        ArgumentNullException.ThrowIfNull(last);
        return Execute(
            """
            UPDATE jobs SET state = @state, message = @message, files = @files, attempts = @attempts, finished_at = @finished,
                engine = @engine, failure = @failure, interpolation_note = @note, worker = NULL, lease_until = NULL, progress = NULL, cancel_requested = false,
                started_at = CASE WHEN @state = 'Queued' THEN NULL ELSE started_at END
            WHERE id = @id AND worker = @worker AND state = 'Running'
            """,
            [.. Parameters(last), ("worker", worker)]) == 1;
    }

    public CancelOutcome RequestCancel(string id)
    {
        using var connection = Database.OpenConnection();
        using var command = Command(connection,
            """
            UPDATE jobs SET
                cancel_requested = true,
                message = CASE WHEN state = 'Queued' THEN 'canceled' ELSE message END,
                finished_at = CASE WHEN state = 'Queued' THEN now() ELSE finished_at END,
                state = CASE WHEN state = 'Queued' THEN 'Canceled' ELSE state END
            WHERE id = @id AND state IN ('Queued', 'Running')
            RETURNING state
            """,
            ("id", id));
        return command.ExecuteScalar() switch
        {
            "Canceled" => CancelOutcome.CanceledWhileQueued,
            "Running" => CancelOutcome.Requested,
            _ => Get(id) is null ? CancelOutcome.NotFound : CancelOutcome.AlreadyFinished,
        };
    }

    public IReadOnlyList<JobRecord> ExpireLeases(bool everyRunningJob = false) => Query(
        $"""
        UPDATE jobs SET
            state = CASE WHEN cancel_requested THEN 'Canceled' WHEN attempts + 1 > @allowed THEN 'Failed' ELSE 'Queued' END,
            message = CASE WHEN cancel_requested THEN 'canceled' WHEN attempts + 1 > @allowed THEN @failed ELSE message END,
            finished_at = CASE WHEN cancel_requested OR attempts + 1 > @allowed THEN now() ELSE NULL END,
            attempts = attempts + 1, worker = NULL, lease_until = NULL, progress = NULL, started_at = NULL
        WHERE state = 'Running' AND (@every OR lease_until < now())
        RETURNING {Columns}
        """,
        ("every", everyRunningJob), ("allowed", InterruptionRule.Allowed),
        ("failed", everyRunningJob ? InterruptionRule.RestartedTwice : InterruptionRule.LeaseExpiredTwice));

    public void Dispose() => Database.Dispose();

    private static NpgsqlParameter Json(string json) => new() { Value = json, NpgsqlDbType = NpgsqlDbType.Jsonb };

    private static (string, object?)[] Parameters(JobRecord job) =>
    [
        ("id", job.Id),
        ("created", job.CreatedAt.ToUniversalTime()),
        ("state", job.State.ToString()),
        ("request", Json(JsonSerializer.Serialize(job.Request, JobJsonContext.Default.JobRequest))),
        ("message", job.Message),
        ("files", Json(JsonSerializer.Serialize(job.Files, JobJsonContext.Default.IReadOnlyDictionaryOutputFormatString))),
        ("attempts", job.Attempts),
        ("finished", job.FinishedAt?.ToUniversalTime()),
        ("photo", job.PhotoName),
        ("engine", job.EngineName),
        ("failure", job.Failure?.ToString()),
        ("note", job.InterpolationNote),
    ];

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            if (value is NpgsqlParameter parameter)
            {
                parameter.ParameterName = name;
                command.Parameters.Add(parameter);
            }
            else
            {
                command.Parameters.Add(new NpgsqlParameter(name, value ?? DBNull.Value));
            }
        }

        return command;
    }

    private int Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        using var connection = Database.OpenConnection();
        using var command = Command(connection, sql, parameters);
        return command.ExecuteNonQuery();
    }

    private int Scalar(string sql, params (string Name, object? Value)[] parameters)
    {
        using var connection = Database.OpenConnection();
        using var command = Command(connection, sql, parameters);
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private List<JobRecord> Query(string sql, params (string Name, object? Value)[] parameters)
    {
        using var connection = Database.OpenConnection();
        using var command = Command(connection, sql, parameters);
        using var reader = command.ExecuteReader();
        var jobs = new List<JobRecord>();
        while (reader.Read())
        {
            DateTimeOffset? Time(int column) => reader.IsDBNull(column) ? null : reader.GetFieldValue<DateTimeOffset>(column);
            jobs.Add(new JobRecord(
                reader.GetString(1),
                Time(2)!.Value,
                Enum.Parse<JobState>(reader.GetString(3)),
                JsonSerializer.Deserialize(reader.GetString(4), JobJsonContext.Default.JobRequest)!,
                reader.IsDBNull(5) ? null : reader.GetString(5),
                JsonSerializer.Deserialize(reader.GetString(6), JobJsonContext.Default.IReadOnlyDictionaryOutputFormatString) ?? new Dictionary<OutputFormat, string>(),
                reader.GetInt32(7),
                Time(8))
            {
                Sequence = reader.GetInt64(0),
                StartedAt = Time(9),
                CancelRequested = reader.GetBoolean(10),
                Progress = reader.IsDBNull(11) ? null : JsonSerializer.Deserialize(reader.GetString(11), JobJsonContext.Default.MotionProgress),
                PhotoName = reader.GetString(12),
                EngineName = reader.IsDBNull(13) ? null : reader.GetString(13),
                Failure = reader.IsDBNull(14) ? null : Enum.Parse<FailureKind>(reader.GetString(14)),
                InterpolationNote = reader.IsDBNull(15) ? null : reader.GetString(15),
            });
        }

        return jobs;
    }
}
