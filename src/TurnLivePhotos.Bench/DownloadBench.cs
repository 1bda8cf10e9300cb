using System.CommandLine;
using System.Diagnostics;
using System.Security.Cryptography;
using TurnLivePhotos.Hub;

namespace TurnLivePhotos.Bench;

/// <summary>
/// <c>bench download</c>: one large LFS file from the loopback hub, fetched by <c>model download</c>'s downloader
/// (redirect, SHA-256 while writing, rename) and by curl (redirect, write), best of several runs each.
/// Target: at least 80 % of curl's speed.
/// </summary>
public static class DownloadBench
{
    public static Command Create(TextWriter output)
    {
        var sizeMb = new Option<int>("--size-mb") { Description = "Size of the file to fetch", DefaultValueFactory = _ => 1024 };
        var runs = new Option<int>("--runs") { Description = "Runs of each; the best counts", DefaultValueFactory = _ => 3 };
        var folderOption = new Option<string?>("--folder") { Description = "Scratch folder (default: a temp folder, removed after)" };
        var command = new Command("download", "Loopback download speed of model download vs curl on the same file from the same loopback hub");
        command.Options.Add(sizeMb);
        command.Options.Add(runs);
        command.Options.Add(folderOption);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var given = parse.GetValue(folderOption);
            var folder = given is null ? Directory.CreateTempSubdirectory("tlp-bench-download-").FullName : Directory.CreateDirectory(given).FullName;
            try
            {
                var repo = Directory.CreateDirectory(Path.Combine(folder, "repo")).FullName;
                var bytes = (long)parse.GetValue(sizeMb) * 1024 * 1024;
                WriteRandom(Path.Combine(repo, "blob.safetensors"), bytes);
                await using var hub = await LoopbackHub.StartAsync("bench/blob", repo);
                var repository = new HubRepository(hub.Endpoint, hub.RepoId);
                var target = Path.Combine(folder, "ours");
                var curlTarget = Path.Combine(folder, "curl.bin");
                var ours = new List<double>();
                var curl = new List<double>();
                for (var run = 0; run < Math.Max(1, parse.GetValue(runs)); run++)
                {
                    if (Directory.Exists(target))
                    {
                        Directory.Delete(target, recursive: true);
                    }

                    using (var client = new HubClient(new HubClientOptions(), token: null))
                    {
                        var clock = Stopwatch.StartNew();
                        await new ModelDownloader(client).DownloadAsync(new DownloadRequest("bench", repository, "main", target, paths => paths), null, cancellationToken);
                        ours.Add(clock.Elapsed.TotalSeconds);
                    }

                    File.Delete(curlTarget);
                    var curlSeconds = await RunCurlAsync(repository.Resolve(hub.Commit, "blob.safetensors"), curlTarget, cancellationToken);
                    if (curlSeconds is null)
                    {
                        await output.WriteLineAsync("curl is not installed; nothing to compare with");
                        return 1;
                    }

                    curl.Add(curlSeconds.Value);
                }

                var oursSpeed = bytes / ours.Min() / 1e6;
                var curlSpeed = bytes / curl.Min() / 1e6;
                var ratio = oursSpeed / curlSpeed;
                await output.WriteLineAsync($"file: {bytes / 1e6:0} MB over loopback (resolve -> 302 -> CDN listener), best of {ours.Count}");
                await output.WriteLineAsync($"model download: {oursSpeed:0} MB/s ({ours.Min():0.00} s, SHA-256 checked)");
                await output.WriteLineAsync($"curl:           {curlSpeed:0} MB/s ({curl.Min():0.00} s, no hash)");
                await output.WriteLineAsync($"ratio: {ratio:P0} of curl (target >= 80 %): {(ratio >= 0.8 ? "met" : "NOT met")}");
                return 0;
            }
            finally
            {
                if (given is null)
                {
                    Directory.Delete(folder, recursive: true);
                }
            }
        });
        return command;
    }

    private static void WriteRandom(string path, long bytes)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 0);
        var buffer = new byte[4 << 20];
        for (long written = 0; written < bytes; written += buffer.Length)
        {
            RandomNumberGenerator.Fill(buffer);
            stream.Write(buffer, 0, (int)Math.Min(buffer.Length, bytes - written));
        }
    }

    private static async Task<double?> RunCurlAsync(Uri url, string destination, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("curl") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[] { "-sS", "-L", "-o", destination, url.ToString() })
        {
            info.ArgumentList.Add(argument);
        }

        try
        {
            var clock = Stopwatch.StartNew();
            using var process = Process.Start(info)!;
            await process.WaitForExitAsync(cancellationToken);
            return process.ExitCode == 0 ? clock.Elapsed.TotalSeconds : throw new InvalidOperationException($"curl failed: {await process.StandardError.ReadToEndAsync(cancellationToken)}");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
