using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Install;

/// <summary>
/// Installed like a .NET program: <c>dotnet pack</c> of the command line gives the TurnLivePhotos tool package,
/// <c>dotnet tool install</c> puts <c>turn-live-photos</c> in a tool folder, and the installed command works and
/// finds its configuration the same way as any other install. Only the local package folder is a source (a
/// nuget.config that clears every other), and the package cache is a fresh one, so nothing older is installed
/// instead and nothing leaves the machine.
/// </summary>
[Collection(DotnetBuildsCollection.Name)]
public sealed class ToolPackageTests
{
    [Fact]
    public async Task Pack_install_and_run_the_tool()
    {
        using var folder = new TempFolder();
        var packages = folder["packages"];

        // --no-build: the package is made from the build these tests run against (dotnet test has just built it).
        var (packExit, packOutput) = await DotnetCli.RunAsync(DotnetCli.RepositoryRoot, null,
            "pack", "src/TurnLivePhotos/TurnLivePhotos.csproj", "-c", DotnetCli.BuildConfiguration, "--no-build", "-o", packages);
        Assert.True(packExit == 0, packOutput);
        Assert.Single(Directory.GetFiles(packages, "TurnLivePhotos.*.nupkg"));

        var config = folder.Write("nuget.config", "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration>\n  <packageSources>\n    <clear />\n  </packageSources>\n</configuration>\n");
        var (installExit, installOutput) = await DotnetCli.RunAsync(folder.Path, new Dictionary<string, string> { ["NUGET_PACKAGES"] = folder["nuget-cache"] },
            "tool", "install", "--tool-path", folder["tools"], "--configfile", config, "--add-source", packages, "TurnLivePhotos");
        Assert.True(installExit == 0, installOutput);
        var tool = folder[OperatingSystem.IsWindows() ? "tools/turn-live-photos.exe" : "tools/turn-live-photos"];
        Assert.True(File.Exists(tool));

        Directory.CreateDirectory(folder["work"]);
        var (helpExit, help, _) = await CliProcess.RunProgramAsync(tool, folder["work"], null, "--help");
        Assert.Equal(0, helpExit);
        Assert.Contains(help, line => line.TrimStart().StartsWith("convert", StringComparison.Ordinal));
        Assert.Contains(help, line => line.TrimStart().StartsWith("--ngrok", StringComparison.Ordinal));

        var photo = folder.Write("work/photo.jpg", TestPhotos.Scene(160, 120));
        var (convertExit, converted, errors) = await CliProcess.RunProgramAsync(tool, folder["work"], null, "convert", photo, "--format", "gif", "--frames", "3");
        Assert.True(convertExit == 0, string.Join(" | ", errors));
        Assert.Contains(converted, line => line.Contains(folder["work/outputs/photo.gif"], StringComparison.Ordinal));
        Assert.Equal(3, GifInfo.Read(await File.ReadAllBytesAsync(folder["work/outputs/photo.gif"])).Frames);

        // The installed tool finds the user's configuration.ini like every other install does.
        var user = folder.Write("xdg/turn-live-photos/configuration.ini", "[WebOptions]\nPort=6200\n");
        var (settingsExit, settings, _) = await CliProcess.RunProgramAsync(tool, folder["work"], new Dictionary<string, string> { ["XDG_CONFIG_HOME"] = folder["xdg"] }, "settings");
        Assert.Equal(0, settingsExit);
        Assert.Equal($"# read {user}", settings[0]);
        Assert.Contains("Port=6200", settings);
    }
}
