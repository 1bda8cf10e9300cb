using System.CommandLine;
using System.Globalization;
using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Core.Parameters;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Media;

namespace TurnLivePhotos.Commands;

/// <summary><c>settings</c>: prints the effective settings after configuration.ini, TLP_ variables and --set.</summary>
public static class SettingsCommand
{
    public static Command Create(TextWriter output)
    {
        var command = new Command("settings", "Print the effective settings (file, then TLP_ environment variables, then --set)");
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = CommonOptions.LoadSettings(parse, []);
            await output.WriteAsync(Format(settings));
            return Cli.Success;
        });
        return command;
    }

    public static string Format(AppSettings settings)
    {
        var model = settings.Model;
        var lines = new List<string>
        {
            settings.ConfigurationFile is null
                ? $"# no configuration file found (looked for {string.Join(", then ", SettingsLoader.SearchedFiles())}); defaults, TLP_ variables and the command line"
                : $"# read {settings.ConfigurationFile}",
            "[StoreOptions]",
            $"ModelsHome={settings.Store.ModelsHome}",
            $"OutputsHome={settings.Store.OutputsHome}",
            $"KeepJobsDays={settings.Store.KeepJobsDays}",
            $"JobStore={settings.Store.JobStore.Describe()}",
            $"LeaseSeconds={settings.Store.LeaseSeconds}",
            string.Empty,
            "[ModelOptions]",
            $"ModelName={model.ModelName}",
        };
        var parameters = ParameterChoices.Of(model.Parameters, model.Quality);
        lines.AddRange(MotionParameterTable.From(ParameterSources.Settings).Select(parameter => $"{parameter.SettingsKey}={parameter.Format(parameters)}"));
        lines.AddRange(
        [
            $"UNet={model.UNet}",
            $"Engine={EnumNames.Of(model.Engine)}",
            $"Variant={model.Variant}",
            $"Device={EnumNames.Of(model.Device)}",
            $"MemoryMode={EnumNames.Of(model.MemoryMode)}",
            $"GpuMemoryLimitMb={model.GpuMemoryLimitMb?.ToString(CultureInfo.InvariantCulture) ?? string.Empty}",
            $"UNetWeights={model.UNetWeights ?? string.Empty}",
            $"Interpolation={EnumNames.Of(model.Interpolation)}",
            $"RifeModelPath={model.RifeModelPath}",
            $"RifeModelUrl={model.RifeModelUrl}",
            $"RifeModelSha256={model.RifeModelSha256 ?? string.Empty}",
            .. Enum.GetValues<Quality>().Select(q => $"# Quality={EnumNames.Of(q)}: {QualityPresets.Describe(q)}"),
            "# Keys set in the file, the environment or on the command line win over the preset and the sampler's defaults.",
            string.Empty,
            "[WebOptions]",
            $"Host={settings.Web.Host}",
            $"Port={settings.Web.Port}",
            $"MaxContentLength={settings.Web.MaxContentLength}",
            $"MaxQueuedJobs={settings.Web.MaxQueuedJobs}",
            $"AccessToken={(settings.Web.AccessToken is null ? string.Empty : "(set)")}",
            $"JobsPerMinute={settings.Web.JobsPerMinute}",
            string.Empty,
            "[InputOptions]",
            $"MaxMegapixels={settings.Input.MaxMegapixels}",
            $"MaxSidePixels={settings.Input.MaxSidePixels}",
            string.Empty,
            "[OutputOptions]",
            $"Formats={TurnLivePhotos.Media.Formats.OutputFormatNames.Join(settings.Output.Formats)}",
            $"Loop={(settings.Output.Loop is { } loop ? EnumNames.Of(loop) : string.Empty)}",
            $"StripMetadata={settings.Output.StripMetadata}",
            $"SamsungTrailer={settings.Output.SamsungTrailer}",
            $"AppleStill={settings.Output.AppleStill.ToString().ToLowerInvariant()}",
            string.Empty,
            "[ToolOptions]",
            $"FFmpegPath={settings.FFmpegPath ?? string.Empty}",
            $"NgrokPath={settings.NgrokPath ?? string.Empty}",
            $"CloudflaredPath={settings.CloudflaredPath ?? string.Empty}",
            string.Empty,
            "[InstallationOptions]",
            $"ModelRepositoryUrl={settings.ModelRepositoryUrl}",
            $"HubToken={(settings.HubToken is null ? string.Empty : "(set, not shown)")}",
            string.Empty,
            "[LaunchOptions]",
            $"RunArguments={settings.RunArguments}",
        ]);
        return string.Join(Environment.NewLine, lines) + Environment.NewLine;
    }
}
