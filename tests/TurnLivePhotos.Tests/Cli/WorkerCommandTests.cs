using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Cli;

/// <summary><c>worker</c> and <c>serve --no-worker</c> need a store that processes share; without one they refuse in one line.</summary>
public sealed class WorkerCommandTests
{
    [Theory]
    [InlineData("worker")]
    [InlineData("serve", "--no-worker")]
    public async Task Without_a_postgresql_store_the_roles_of_a_shared_queue_refuse_in_one_line(params string[] command)
    {
        using var folder = new TempFolder();

        var (exit, _, errors) = await CliProcess.RunAsync(folder.Path, null, command);

        Assert.Equal(2, exit);
        var line = Assert.Single(errors);
        Assert.Contains("[StoreOptions] JobStore", line, StringComparison.Ordinal);
        Assert.Contains("PostgreSQL connection string", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_worker_whose_database_cannot_be_reached_says_so_in_one_line()
    {
        using var folder = new TempFolder();
        var environment = new Dictionary<string, string>
        {
            // A port nothing listens on: the connection is refused at once.
            ["TLP_StoreOptions__JobStore"] = $"Host=127.0.0.1;Port={FreePort()};Database=tlp;Username=tlp;Password=s3cret;Timeout=3",
            ["TLP_StoreOptions__OutputsHome"] = folder["outputs"],
        };

        var (exit, _, errors) = await CliProcess.RunAsync(folder.Path, environment, "worker");

        Assert.Equal(1, exit);
        var line = Assert.Single(errors);
        Assert.StartsWith("error: the job store Host=127.0.0.1", line, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", line, StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
