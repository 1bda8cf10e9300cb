using Npgsql;

namespace TurnLivePhotos.Server.Jobs.Postgres;

/// <summary>
/// The schema, as numbered steps recorded in <c>schema_migrations</c>. Every process runs <see cref="Apply"/> at
/// start: under a transaction-scoped advisory lock (so two workers starting together do not both migrate), each
/// step not yet recorded runs and is recorded in the same transaction; a database already at the newest version
/// is left alone. A step is never edited once released: a change is a new step.
/// </summary>
public static class PostgresMigrations
{
    /// <summary>pg_advisory_xact_lock key of the migrations ("TLPMIGR" in ASCII).</summary>
    private const long LockKey = 0x544C504D494752;

    public static IReadOnlyList<(int Version, string Description, string Sql)> Steps { get; } =
    [
        (1, "jobs table, queue index, change notifications", """
            CREATE TABLE jobs (
                seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
                id text PRIMARY KEY,
                created_at timestamptz NOT NULL,
                state text NOT NULL,
                request jsonb NOT NULL,
                message text,
                files jsonb NOT NULL DEFAULT '{}',
                attempts integer NOT NULL DEFAULT 0,
                finished_at timestamptz,
                started_at timestamptz,
                worker text,
                lease_until timestamptz,
                cancel_requested boolean NOT NULL DEFAULT false,
                progress jsonb);
            CREATE INDEX jobs_queued ON jobs (seq) WHERE state = 'Queued';
            CREATE INDEX jobs_running_lease ON jobs (lease_until) WHERE state = 'Running';
            CREATE INDEX jobs_newest ON jobs (created_at DESC, seq DESC);

            -- Every change a client can see (state, progress, a cancel) is announced on the channel tlp_jobs with
            -- the job's id, whichever process made it; a lease renewal alone is not.
            CREATE FUNCTION tlp_jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'UPDATE' AND NEW.state = OLD.state AND NEW.progress IS NOT DISTINCT FROM OLD.progress
                   AND NEW.cancel_requested = OLD.cancel_requested AND NEW.files = OLD.files THEN
                    RETURN NEW;
                END IF;
                PERFORM pg_notify('tlp_jobs', NEW.id);
                RETURN NEW;
            END $$;
            CREATE TRIGGER jobs_notify AFTER INSERT OR UPDATE ON jobs FOR EACH ROW EXECUTE FUNCTION tlp_jobs_notify();
            """),
        (2, "the uploaded photo's name, the engine that ran and the failure kind", """
            ALTER TABLE jobs ADD COLUMN photo_name text NOT NULL DEFAULT 'photo';
            ALTER TABLE jobs ADD COLUMN engine text;
            ALTER TABLE jobs ADD COLUMN failure text;
            """),
        (3, "the frame-interpolation note of a finished job", """
            ALTER TABLE jobs ADD COLUMN interpolation_note text;
            """),
    ];

    /// <summary>The channel the trigger of step 1 notifies.</summary>
    public const string Channel = "tlp_jobs";

    /// <summary>Brings the database to the newest version; returns the versions applied now (none when it was current).</summary>
    public static IReadOnlyList<int> Apply(NpgsqlDataSource database)
    {
        ArgumentNullException.ThrowIfNull(database);
        using var connection = database.OpenConnection();
        using var transaction = connection.BeginTransaction();
        Run(connection, $"SELECT pg_advisory_xact_lock({LockKey})");
        Run(connection, "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
        var applied = new HashSet<int>();
        using (var read = new NpgsqlCommand("SELECT version FROM schema_migrations", connection))
        using (var reader = read.ExecuteReader())
        {
            while (reader.Read())
            {
                applied.Add(reader.GetInt32(0));
            }
        }

        var now = new List<int>();
        foreach (var (version, description, sql) in Steps.Where(step => !applied.Contains(step.Version)))
        {
            Run(connection, sql);
            using var record = new NpgsqlCommand("INSERT INTO schema_migrations (version, description) VALUES (@version, @description)", connection);
            record.Parameters.AddWithValue("version", version);
            record.Parameters.AddWithValue("description", description);
            record.ExecuteNonQuery();
            now.Add(version);
        }

        transaction.Commit();
        return now;
    }

    private static void Run(NpgsqlConnection connection, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }
}
