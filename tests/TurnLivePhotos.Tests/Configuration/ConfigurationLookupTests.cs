using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Configuration;

/// <summary>
/// Where configuration.ini is found (--config, then the working folder, then the user's configuration folder) and
/// which file <c>settings</c> says it read; relative paths in a file are relative to that file's folder.
/// </summary>
public sealed class ConfigurationLookupTests
{
    [Fact]
    public async Task The_users_configuration_folder_is_read_when_the_working_folder_has_none()
    {
        using var folder = new TempFolder();
        var user = folder.Write("xdg/turn-live-photos/configuration.ini", "[WebOptions]\nPort=6123\n[StoreOptions]\nModelsHome=my-models\n");
        Directory.CreateDirectory(folder["work"]);

        var (exit, output, _) = await CliProcess.RunAsync(folder["work"], new Dictionary<string, string> { ["XDG_CONFIG_HOME"] = folder["xdg"] }, "settings");

        Assert.Equal(0, exit);
        Assert.Equal($"# read {user}", output[0]);
        Assert.Contains("Port=6123", output);
        Assert.Contains($"ModelsHome={folder["xdg/turn-live-photos/my-models"]}", output);
        Assert.Contains($"OutputsHome={folder["xdg/turn-live-photos/outputs"]}", output);
    }

    [Fact]
    public async Task The_working_folder_wins_over_the_users_folder_and_config_wins_over_both()
    {
        using var folder = new TempFolder();
        folder.Write("xdg/turn-live-photos/configuration.ini", "[WebOptions]\nPort=6123\n");
        var local = folder.Write("work/configuration.ini", "[WebOptions]\nPort=6124\n");
        var chosen = folder.Write("elsewhere/other.ini", "[WebOptions]\nPort=6125\n");
        var environment = new Dictionary<string, string> { ["XDG_CONFIG_HOME"] = folder["xdg"] };

        var (_, fromWorkingFolder, _) = await CliProcess.RunAsync(folder["work"], environment, "settings");
        var (_, fromConfig, _) = await CliProcess.RunAsync(folder["work"], environment, "settings", "--config", chosen);

        Assert.Equal($"# read {local}", fromWorkingFolder[0]);
        Assert.Contains("Port=6124", fromWorkingFolder);
        Assert.Equal($"# read {chosen}", fromConfig[0]);
        Assert.Contains("Port=6125", fromConfig);
    }

    [Fact]
    public async Task Settings_says_where_it_looked_when_there_is_no_file_and_relative_paths_follow_the_working_folder()
    {
        using var folder = new TempFolder();

        var (exit, output, _) = await CliProcess.RunAsync(folder.Path, new Dictionary<string, string> { ["XDG_CONFIG_HOME"] = folder["xdg"] }, "settings");

        Assert.Equal(0, exit);
        Assert.StartsWith($"# no configuration file found (looked for {folder["configuration.ini"]}, then {folder["xdg/turn-live-photos/configuration.ini"]})", output[0], StringComparison.Ordinal);
        Assert.Contains($"ModelsHome={folder["models"]}", output);
    }

    [Fact]
    public async Task Max_split_size_mb_sets_the_gpu_memory_limit_and_a_value_out_of_range_names_the_key()
    {
        using var folder = new TempFolder();

        var (exit, output, _) = await CliProcess.RunAsync(folder.Path, null, "settings", "--max-split-size-mb", "512");
        var (badExit, _, errors) = await CliProcess.RunAsync(folder.Path, null, "settings", "--max-split-size-mb", "10");

        Assert.Equal(0, exit);
        Assert.Contains("GpuMemoryLimitMb=512", output);
        Assert.Equal(2, badExit);
        Assert.StartsWith("error: invalid setting [ModelOptions] GpuMemoryLimitMb = \"10\" (from the command line)", Assert.Single(errors), StringComparison.Ordinal);
    }
}
