using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Configuration;

public sealed class SettingsTests
{
    /// <summary>The keys and values of the Python tool's configuration.ini (its comments are Chinese; '#' comments, no spaces around '=').</summary>
    private const string PythonToolConfiguration = """
        # 注意：在等号之间使用空格是不允许的

        [LaunchOptions]
        UseVenv=True
        SkipPythonChecking=False
        RunArguments=

        [InstalltionOptions]
        PipMirrorUrl=https://pypi.example/simple
        PyTorchIndexUrl=https://download.example/whl/cu128
        #ModelRepositoryUrl=https://models.example/stabilityai/stable-video-diffusion-img2vid-xt
        ModelRepositoryUrl=https://mirror.example/stabilityai/stable-video-diffusion-img2vid-xt

        [StoreOptions]
        VenvHome=.venv
        ModelsHome=models
        OutputsHome=outputs

        [ModelOptions]
        ModelName=stabilityai/stable-video-diffusion-img2vid-xt
        OutputFPS=24
        OutputFrames=72
        InferenceSteps=25
        #DecodeChunkSize=8
        UNet=True

        [WebOptions]
        Host=0.0.0.0
        Port=5000
        MaxContentLength=10485760
        """;

    [Fact]
    public void Defaults_are_the_diffusers_svd_defaults()
    {
        using var folder = new TempFolder();
        var settings = SettingsLoader.Load(folder.Write("empty.ini", string.Empty));

        Assert.Equal(25, settings.Model.Parameters.Frames);
        Assert.Equal(7, settings.Model.Parameters.Fps);
        Assert.Equal(25, settings.Model.Parameters.InferenceSteps);
        Assert.Equal(127, settings.Model.Parameters.MotionBucketId);
        Assert.Equal(0.02, settings.Model.Parameters.NoiseAugStrength);
        Assert.Equal(3.0, settings.Model.Parameters.MaxGuidanceScale);
        Assert.Equal(5000, settings.Web.Port);
        Assert.Equal(10 * 1024 * 1024, settings.Web.MaxContentLength);
        Assert.Equal(8, settings.Web.MaxQueuedJobs);
        Assert.Equal(EngineKind.Auto, settings.Model.Engine);
    }

    [Fact]
    public void The_python_tools_configuration_loads_unchanged()
    {
        using var folder = new TempFolder();
        var path = folder.Write("configuration.ini", PythonToolConfiguration);

        var settings = SettingsLoader.Load(path);

        Assert.Equal("stabilityai/stable-video-diffusion-img2vid-xt", settings.Model.ModelName);
        Assert.Equal(24, settings.Model.Parameters.Fps);
        Assert.Equal(72, settings.Model.Parameters.Frames);
        Assert.Null(settings.Model.Parameters.DecodeChunkSize);
        Assert.True(settings.Model.UNet);
        Assert.Equal("0.0.0.0", settings.Web.Host);
        Assert.Equal(10485760, settings.Web.MaxContentLength);
        Assert.Equal(folder["models"], settings.Store.ModelsHome);
        Assert.Equal(folder["outputs"], settings.Store.OutputsHome);
        Assert.Equal("https://mirror.example/stabilityai/stable-video-diffusion-img2vid-xt", settings.ModelRepositoryUrl);
    }

    [Fact]
    public void The_repository_configuration_ini_loads()
    {
        var repositoryFile = Path.Combine(RepositoryRoot(), "configuration.ini");

        var settings = SettingsLoader.Load(repositoryFile);

        Assert.Equal(new MotionParameters().Frames, settings.Model.Parameters.Frames);
        Assert.Equal(5000, settings.Web.Port);
    }

    [Theory]
    [InlineData(null, "models/.graph-cache")]
    [InlineData("GraphCache=graphs", "graphs")]
    [InlineData("GraphCache=off", null)]
    [InlineData("GraphCache=", null)]
    public void The_graph_cache_sits_beside_the_models_unless_placed_or_turned_off(string? line, string? expected)
    {
        using var folder = new TempFolder();
        var path = folder.Write("c.ini", $"[StoreOptions]\nModelsHome=models\n{line}\n");

        var settings = SettingsLoader.Load(path);

        Assert.Equal(expected is null ? null : Path.GetFullPath(expected, folder.Path), settings.Store.GraphCache);
    }

    [Theory]
    [InlineData("InstalltionOptions")]
    [InlineData("InstallationOptions")]
    public void Both_spellings_of_the_installation_section_are_read(string section)
    {
        using var folder = new TempFolder();
        var path = folder.Write("c.ini", $"[{section}]\nModelRepositoryUrl=https://models.example/x\n");

        Assert.Equal("https://models.example/x", SettingsLoader.Load(path).ModelRepositoryUrl);
    }

    [Fact]
    public void Command_line_overrides_win_over_the_file()
    {
        using var folder = new TempFolder();
        var path = folder.Write("c.ini", "[WebOptions]\nPort=6000\nHost=127.0.0.1\n");

        var settings = SettingsLoader.Load(path, new Dictionary<string, string?> { ["WebOptions:Port"] = "6002" });

        Assert.Equal(6002, settings.Web.Port);
        Assert.Equal("127.0.0.1", settings.Web.Host);
    }

    [Theory]
    [InlineData("WebOptions", "Port", "abc")]
    [InlineData("WebOptions", "Port", "70000")]
    [InlineData("ModelOptions", "OutputFrames", "-1")]
    [InlineData("ModelOptions", "OutputFPS", "0")]
    [InlineData("ModelOptions", "UNet", "maybe")]
    [InlineData("ModelOptions", "Engine", "magic")]
    [InlineData("ModelOptions", "NoiseAugStrength", "2")]
    [InlineData("WebOptions", "MaxContentLength", "ten megabytes")]
    [InlineData("WebOptions", "MaxQueuedJobs", "0")]
    [InlineData("WebOptions", "JobTimeoutMinutes", "0")]
    [InlineData("WebOptions", "JobTimeoutMinutes", "an hour")]
    [InlineData("WebOptions", "JobTimeoutMinutes", "NaN")]
    [InlineData("StoreOptions", "RetentionIntervalMinutes", "-5")]
    [InlineData("StoreOptions", "RetentionIntervalMinutes", "Infinity")]
    [InlineData("StoreOptions", "MaxOutputsGb", "-1")]
    [InlineData("StoreOptions", "MaxOutputsGb", "20GB")]
    public void A_bad_value_is_one_line_naming_section_key_and_value(string section, string key, string value)
    {
        using var folder = new TempFolder();
        var path = folder.Write("bad.ini", $"[{section}]\n{key}={value}\n");

        var error = Assert.Throws<SettingsException>(() => SettingsLoader.Load(path));

        Assert.DoesNotContain('\n', error.Message);
        Assert.Contains($"[{section}] {key} = \"{value}\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("bad.ini", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_config_file_is_named()
    {
        var error = Assert.Throws<SettingsException>(() => SettingsLoader.Load("/nonexistent/elsewhere.ini"));

        Assert.Contains("/nonexistent/elsewhere.ini", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Precedence_is_file_then_environment_then_command_line()
    {
        using var folder = new TempFolder();
        var path = folder.Write("c.ini", "[WebOptions]\nPort=6000\nMaxQueuedJobs=3\n[ModelOptions]\nOutputFrames=10\n");
        var environment = new Dictionary<string, string> { ["TLP_WebOptions__Port"] = "6001", ["TLP_ModelOptions__OutputFrames"] = "11" };

        var (exit, output, errors) = await CliProcess.RunAsync(folder.Path, environment, "settings", "--config", path, "--set", "WebOptions:Port=6002");

        Assert.True(exit == 0, string.Join("\n", errors));
        Assert.Contains("Port=6002", output);          // command line beats environment and file
        Assert.Contains("OutputFrames=11", output);    // environment beats file
        Assert.Contains("MaxQueuedJobs=3", output);    // file beats defaults
    }

    [Fact]
    public async Task An_invalid_environment_value_names_the_variable()
    {
        using var folder = new TempFolder();
        var environment = new Dictionary<string, string> { ["TLP_WebOptions__Port"] = "abc" };

        var (exit, _, errors) = await CliProcess.RunAsync(folder.Path, environment, "settings");

        Assert.Equal(2, exit);
        var line = Assert.Single(errors);
        Assert.Contains("[WebOptions] Port = \"abc\"", line, StringComparison.Ordinal);
        Assert.Contains("TLP_WebOptions__Port", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_job_store_comes_from_the_environment_and_its_password_is_never_printed()
    {
        using var folder = new TempFolder();
        var environment = new Dictionary<string, string> { ["TLP_StoreOptions__JobStore"] = "Host=db.lan;Database=tlp;Username=tlp;Password=s3cret" };

        var (exit, output, errors) = await CliProcess.RunAsync(folder.Path, environment, "settings");

        Assert.True(exit == 0, string.Join("\n", errors));
        Assert.Contains("JobStore=Host=db.lan;Database=tlp;Username=tlp;Password=***", output);
        Assert.DoesNotContain(output, line => line.Contains("s3cret", StringComparison.Ordinal));
        Assert.Equal(JobStoreKind.Sqlite, SettingsLoader.Load(folder.Write("empty.ini", string.Empty)).Store.JobStore.Kind);
        var postgres = SettingsLoader.Load(folder.Write("pg.ini", "[StoreOptions]\nJobStore=Host=db;Database=tlp\n")).Store.JobStore;
        Assert.Equal(new JobStoreLocation(JobStoreKind.PostgreSql, "Host=db;Database=tlp"), postgres);
    }

    [Fact]
    public void A_job_store_that_is_neither_sqlite_nor_a_connection_string_is_one_line_without_its_password()
    {
        using var folder = new TempFolder();
        var path = folder.Write("bad.ini", "[StoreOptions]\nJobStore=postgres://tlp:s3cret@db/tlp\n");

        var error = Assert.Throws<SettingsException>(() => SettingsLoader.Load(path));

        Assert.Contains("[StoreOptions] JobStore", error.Message, StringComparison.Ordinal);
        Assert.Contains("bad.ini", error.Message, StringComparison.Ordinal);
        Assert.Contains("expected sqlite or a PostgreSQL connection string", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("AccessToken=\" \"")]
    [InlineData("AccessToken=\"\t\"")]
    public void A_token_of_only_white_space_is_an_error_naming_the_key_not_an_open_server(string line)
    {
        using var folder = new TempFolder();
        var path = folder.Write("blank.ini", $"[WebOptions]\n{line}\n");

        var error = Assert.Throws<SettingsException>(() => SettingsLoader.Load(path));

        Assert.Contains("[WebOptions] AccessToken", error.Message, StringComparison.Ordinal);
        Assert.Contains("blank.ini", error.Message, StringComparison.Ordinal);
        Assert.Null(SettingsLoader.Load(folder.Write("empty.ini", "[WebOptions]\nAccessToken=\n")).Web.AccessToken);
        Assert.Equal("t0k", SettingsLoader.Load(folder.Write("set.ini", "[WebOptions]\nAccessToken= t0k \n")).Web.AccessToken);
    }

    [Fact]
    public void With_no_host_configured_the_server_listens_on_loopback_and_allowed_hosts_are_a_list()
    {
        using var folder = new TempFolder();

        var settings = SettingsLoader.Load(folder.Write("hosts.ini", "[WebOptions]\nAllowedHosts=photos.example.com, *.lan\n"));

        Assert.Equal("127.0.0.1", settings.Web.Host);
        Assert.Equal(["photos.example.com", "*.lan"], settings.Web.AllowedHosts);
    }

    internal static string RepositoryRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "TurnLivePhotos.sln")))
        {
            folder = folder.Parent;
        }

        return folder?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}
