using System.Net;
using System.Net.Sockets;
using QRCoder;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Cli;

/// <summary>
/// The real program serving beyond loopback prints its first network link as a QR code in half blocks; the printed
/// block is read back into modules and compared with QRCoder's own matrix of that link.
/// </summary>
public sealed class ServeQrCodeTests
{
    private const string Caption = "Scan to open the first link on a phone on the same network (--no-qr leaves this out):";

    [RequiresLanAddressFact]
    public async Task Serving_every_interface_prints_the_first_link_with_its_token_as_a_qr_code()
    {
        using var folder = new TempFolder();
        var port = FreePort();

        var output = await ServeAsync(folder, "--host", "0.0.0.0", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        var links = output.Where(l => l.StartsWith("On this network: ", StringComparison.Ordinal)).Select(l => l["On this network: ".Length..]).ToList();
        Assert.NotEmpty(links);
        var token = output.Single(l => l.StartsWith("Access token for this run:", StringComparison.Ordinal)).Split(' ')[5];
        Assert.EndsWith($":{port}/?token={token}", links[0], StringComparison.Ordinal);
        var caption = output.ToList().IndexOf(Caption);
        Assert.True(caption > output.ToList().FindLastIndex(l => l.StartsWith("On this network: ", StringComparison.Ordinal)), string.Join('\n', output));
        var block = output.Skip(caption + 1).TakeWhile(IsHalfBlockLine).ToList();
        Assert.NotEmpty(block);

        var printed = Modules(block);
        using var expected = QRCodeGenerator.GenerateQrCode(links[0], QRCodeGenerator.ECCLevel.M);
        var size = expected.ModuleMatrix.Count;
        Assert.Equal((size + 1) / 2, block.Count);
        Assert.All(block, line => Assert.Equal(size, line.Length));
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                Assert.True(expected.ModuleMatrix[y][x] == printed[y, x], $"module ({x}, {y}) differs");
            }
        }

        AssertQuietZoneAndFinders(printed, size);
    }

    [RequiresLanAddressFact]
    public async Task No_qr_leaves_the_code_out_and_keeps_the_link()
    {
        using var folder = new TempFolder();

        var output = await ServeAsync(folder, "--host", "0.0.0.0", "--port", FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture), "--no-qr");

        Assert.Contains(output, l => l.StartsWith("On this network: ", StringComparison.Ordinal));
        Assert.DoesNotContain(Caption, output);
        Assert.DoesNotContain(output, IsHalfBlockLine);
    }

    [Fact]
    public async Task Serving_loopback_only_prints_no_qr_code()
    {
        using var folder = new TempFolder();

        var output = await ServeAsync(folder, "--host", "127.0.0.1", "--port", "0");

        Assert.DoesNotContain(Caption, output);
        Assert.DoesNotContain(output, IsHalfBlockLine);
    }

    /// <summary>Starts serve, waits for the last line it prints at start-up, stops it, and returns what it printed.</summary>
    private static async Task<IReadOnlyList<string>> ServeAsync(TempFolder folder, params string[] args)
    {
        var config = folder.Write("configuration.ini", "[WebOptions]\nPort=0\n");
        using var server = CliProcess.Start(folder.Path, null, ["serve", "--config", config, .. args]);
        await server.WaitForOutputAsync(l => l.StartsWith("Serving", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        if (args.Contains("0.0.0.0"))
        {
            await server.WaitForOutputAsync(l => l.StartsWith("Access token for this run:", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        }

        Assert.Equal(0, await server.TerminateAsync(TimeSpan.FromSeconds(30)));
        return server.Output;
    }

    private static bool IsHalfBlockLine(string line) => line.Length > 0 && line.All(c => c is '█' or '▀' or '▄' or ' ') && line.Any(c => c != ' ');

    /// <summary>
    /// Reads half blocks back into modules, true for dark: each character is two rows, its upper half drawn (█ ▀) for a
    /// light upper module and its lower half drawn (█ ▄) for a light lower one.
    /// </summary>
    private static bool[,] Modules(IReadOnlyList<string> block)
    {
        var modules = new bool[block.Count * 2, block.Max(line => line.Length)];
        for (var row = 0; row < block.Count; row++)
        {
            for (var x = 0; x < block[row].Length; x++)
            {
                var c = block[row][x];
                modules[2 * row, x] = c is not ('█' or '▀');
                modules[(2 * row) + 1, x] = c is not ('█' or '▄');
            }
        }

        return modules;
    }

    /// <summary>Independent of QRCoder: four light modules around the symbol, and the 7×7 finder rings in three corners.</summary>
    private static void AssertQuietZoneAndFinders(bool[,] dark, int size)
    {
        for (var i = 0; i < size; i++)
        {
            for (var band = 0; band < 4; band++)
            {
                Assert.False(dark[band, i] || dark[size - 1 - band, i] || dark[i, band] || dark[i, size - 1 - band], $"quiet zone dark at {i}, band {band}");
            }
        }

        foreach (var (left, top) in new[] { (4, 4), (size - 11, 4), (4, size - 11) })
        {
            for (var y = 0; y < 7; y++)
            {
                for (var x = 0; x < 7; x++)
                {
                    var ring = Math.Max(Math.Abs(x - 3), Math.Abs(y - 3));
                    Assert.True(dark[top + y, left + x] == ring is 3 or <= 1, $"finder at ({left}, {top}) wrong at ({x}, {y})");
                }
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
