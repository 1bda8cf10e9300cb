using System.CommandLine;
using Microsoft.Extensions.Logging;
using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Engine.Svd;
using TurnLivePhotos.Media.Decoding;

namespace TurnLivePhotos.Commands;

/// <summary>Options every command understands, and the mapping of command-line flags onto settings keys.</summary>
public static class CommonOptions
{
    public static readonly Option<string?> Config = new("--config")
    {
        Description = "Read this configuration file instead of ./configuration.ini",
        Recursive = true,
    };

    public static readonly Option<string[]> Set = new("--set")
    {
        Description = "Override any setting, e.g. --set WebOptions:MaxQueuedJobs=2 (repeatable; wins over the file and TLP_ variables)",
        Recursive = true,
        AllowMultipleArgumentsPerToken = false,
    };

    public static readonly Option<string> LoggingLevel = new("--logging-level")
    {
        Description = "Log level: DEBUG, INFO, WARNING, ERROR or CRITICAL",
        Recursive = true,
        DefaultValueFactory = _ => "INFO",
    };

    /// <summary>The Python tool's flag for PyTorch's CUDA allocator; here it limits ONNX Runtime's CUDA memory arena.</summary>
    public static readonly Option<int?> MaxSplitSizeMb = new("--max-split-size-mb")
    {
        Description = "Megabytes the GPU (CUDA) memory arena may grow to (sets [ModelOptions] GpuMemoryLimitMb; no effect on the CPU)",
        Recursive = true,
    };

    /// <summary>Finds --config before full parsing, to read [LaunchOptions] RunArguments.</summary>
    public static string? FindConfigPath(IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "--config" && i + 1 < args.Count)
            {
                return args[i + 1];
            }

            if (args[i].StartsWith("--config=", StringComparison.Ordinal))
            {
                return args[i]["--config=".Length..];
            }
        }

        return null;
    }

    /// <summary>Loads settings with the command line's overrides (flags mapped to keys, then --set) applied last.</summary>
    public static AppSettings LoadSettings(ParseResult parse, IEnumerable<(SettingKey Key, object? Value)> flags)
    {
        var overrides = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in flags.Prepend((SettingKeys.GpuMemoryLimitMb, parse.GetValue(MaxSplitSizeMb))))
        {
            if (value is not null)
            {
                overrides[key.Path] = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        foreach (var assignment in parse.GetValue(Set) ?? [])
        {
            var separator = assignment.IndexOf('=', StringComparison.Ordinal);
            if (separator <= 0 || !assignment[..separator].Contains(':', StringComparison.Ordinal))
            {
                throw new SettingsException($"--set expects Section:Key=Value, got \"{assignment}\"");
            }

            overrides[assignment[..separator].Trim()] = assignment[(separator + 1)..];
        }

        var settings = SettingsLoader.Load(parse.GetValue(Config), overrides);
        ImageMagickLimits.Apply(settings.Input.Budget); // every command starts here: the decoding limits hold from the first photo on
        return settings;
    }

    /// <summary>A note when a GPU memory limit is set but the engine would not run on the CUDA provider; null otherwise.</summary>
    public static string? GpuMemoryLimitNote(AppSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var model = settings.Model;
        if (model.GpuMemoryLimitMb is not { } limit || ExecutionProviders.UsesCudaArena(model.Device))
        {
            return null;
        }

        return $"note: the GPU memory limit of {limit} MB (--max-split-size-mb, [ModelOptions] GpuMemoryLimitMb) applies to the CUDA provider only; " +
            $"with Device={TurnLivePhotos.Media.EnumNames.Of(model.Device)} this build runs the engine without it, so it has no effect here";
    }

    public static LogLevel ParseLogLevel(ParseResult parse)
    {
        var text = parse.GetValue(LoggingLevel) ?? "INFO";
        return text.Trim().ToUpperInvariant() switch
        {
            "TRACE" => LogLevel.Trace,
            "DEBUG" => LogLevel.Debug,
            "INFO" or "INFORMATION" => LogLevel.Information,
            "WARN" or "WARNING" => LogLevel.Warning,
            "ERROR" => LogLevel.Error,
            "CRITICAL" or "FATAL" => LogLevel.Critical,
            "NONE" or "OFF" => LogLevel.None,
            _ => throw new SettingsException($"--logging-level \"{text}\" is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        };
    }
}
