using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace TurnLivePhotos.Tests.Support;

/// <summary>
/// A private PostgreSQL cluster for the tests: <c>initdb</c> into a temp folder, <c>pg_ctl start</c> on a free
/// loopback port (TCP on 127.0.0.1 only; the socket file in the same folder), stopped and deleted on dispose. Each
/// test takes its own database (<see cref="CreateDatabase"/>). initdb and postgres refuse to run as root, so when the
/// tests run as root (as CI containers often do) the cluster runs as the unprivileged user <c>nobody</c> through
/// <c>setpriv</c>; otherwise as the current user. Started on first use, so a run whose PostgreSQL tests are all
/// skipped never looks for the programs.
/// </summary>
public sealed class PostgresCluster : IDisposable
{
    private const string Superuser = "tlp";
    private readonly Lazy<(string Folder, int Port)> started;
    private int databases;

    public PostgresCluster() => started = new Lazy<(string, int)>(Start, LazyThreadSafetyMode.ExecutionAndPublication);

    private static bool IsRoot => Environment.UserName == "root";

    /// <summary>A new empty database in the cluster; its connection string.</summary>
    public string CreateDatabase()
    {
        var (_, port) = started.Value;
        var name = $"t{Interlocked.Increment(ref databases)}_{Environment.ProcessId}";
        using (var connection = new NpgsqlConnection(ConnectionString(port, "postgres")))
        {
            connection.Open();
            using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            create.ExecuteNonQuery();
        }

        return ConnectionString(port, name);
    }

    public void Dispose()
    {
        if (!started.IsValueCreated)
        {
            return;
        }

        var (folder, _) = started.Value;
        Run(Tool("pg_ctl"), "-D", Path.Combine(folder, "data"), "-m", "immediate", "stop");
        Directory.Delete(folder, recursive: true);
    }

    private static string ConnectionString(int port, string database) =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = port, Username = Superuser, Database = database, Pooling = true, MaxPoolSize = 20 }.ToString();

    private static (string, int) Start()
    {
        var folder = Directory.CreateTempSubdirectory("tlp-pg-").FullName;
        if (IsRoot)
        {
            Run("chown", "nobody:nogroup", folder);
        }

        var data = Path.Combine(folder, "data");
        Run(Tool("initdb"), "-D", data, "-U", Superuser, "-A", "trust", "-E", "UTF8", "--no-sync");
        var port = FreePort();
        Run(Tool("pg_ctl"), "-D", data, "-l", Path.Combine(folder, "server.log"), "-w", "-t", "60",
            "-o", $"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=200", "start");
        return (folder, port);
    }

    private static string Tool(string name) =>
        ExternalTools.PostgresTool(name) ?? throw new InvalidOperationException($"{name} is not installed (Debian package postgresql; bash .ci/run installs it)");

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Runs a PostgreSQL program, as nobody when the tests run as root.</summary>
    private static void Run(string program, params string[] args)
    {
        var asNobody = IsRoot && program != "chown";
        var info = new ProcessStartInfo(asNobody ? "setpriv" : program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in asNobody ? ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", program, .. args] : args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(program)} failed ({process.ExitCode}): {errors.Result} {output.Result}");
        }
    }
}

/// <summary>One cluster for every PostgreSQL test class of the run.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresCluster>
{
    public const string Name = "postgres";
}
