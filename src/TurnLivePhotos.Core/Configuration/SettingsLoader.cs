using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Ini;
using Microsoft.Extensions.Configuration.Memory;
using TurnLivePhotos.Core.Parameters;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Engine.Svd;
using TurnLivePhotos.Media;

namespace TurnLivePhotos.Core.Configuration;

/// <summary>A setting that cannot be used; the message is one line naming the section, key, value and where it came from.</summary>
public sealed class SettingsException(string message) : Exception(message);

/// <summary>
/// Reads configuration.ini, then TLP_-prefixed environment variables (TLP_WebOptions__Port), then command-line
/// overrides; a later source wins. Unknown keys (the Python tool's UseVenv, PipMirrorUrl…) are ignored, so its
/// configuration.ini loads unchanged.
/// </summary>
public static class SettingsLoader
{
    public const string EnvironmentPrefix = "TLP_";
    public const string DefaultFileName = "configuration.ini";

    /// <summary>The folder under the user's configuration folder that holds configuration.ini.</summary>
    public const string UserFolderName = "turn-live-photos";

    /// <summary>
    /// Where configuration.ini is looked for when --config is not given, in order: the working folder, then the user's
    /// configuration folder ($XDG_CONFIG_HOME or ~/.config on Linux and macOS, %APPDATA% on Windows) under
    /// turn-live-photos/. The same rule holds however the program was installed (dotnet run, dotnet tool, a published
    /// folder, a container): the folder beside the program is not searched, because for a .NET tool it is a package
    /// store the user never edits, and a file there would silently differ between installs.
    /// </summary>
    public static IReadOnlyList<string> SearchedFiles()
    {
        var files = new List<string> { Path.Combine(Directory.GetCurrentDirectory(), DefaultFileName) };
        var user = Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        if (!string.IsNullOrEmpty(user))
        {
            files.Add(Path.Combine(user, UserFolderName, DefaultFileName));
        }

        return files;
    }

    /// <param name="configurationPath">An explicit --config file (must exist); null looks through <see cref="SearchedFiles"/>.</param>
    /// <param name="overrides">Command-line values as "Section:Key" → value.</param>
    public static AppSettings Load(string? configurationPath = null, IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var file = FindConfigurationFile(configurationPath);
        var builder = new ConfigurationBuilder();
        if (file is not null)
        {
            builder.AddIniFile(file, optional: false, reloadOnChange: false);
        }

        builder.AddEnvironmentVariables(EnvironmentPrefix);
        builder.AddInMemoryCollection(overrides ?? new Dictionary<string, string?>());

        IConfigurationRoot root;
        try
        {
            root = builder.Build();
        }
        catch (FormatException ex)
        {
            throw new SettingsException($"{file}: not a valid INI file ({ex.Message})");
        }

        var baseDirectory = file is null ? Directory.GetCurrentDirectory() : Path.GetDirectoryName(file)!;
        return Read(new SettingsReader(root), baseDirectory) with { ConfigurationFile = file };
    }

    public static string? FindConfigurationFile(string? explicitPath)
    {
        if (explicitPath is not null)
        {
            var full = Path.GetFullPath(explicitPath);
            return File.Exists(full) ? full : throw new SettingsException($"configuration file not found: {full}");
        }

        return SearchedFiles().FirstOrDefault(File.Exists);
    }

    private static AppSettings Read(SettingsReader read, string baseDirectory)
    {
        var defaults = new AppSettings();
        var unetWeights = read.Raw("ModelOptions", "UNetWeights") is { Length: > 0 } weights ? Path.GetFullPath(weights.Trim(), baseDirectory) : null;

        // A preset (Quality) and a sampler's defaults are bundles of the table's other keys: they decide only what no key sets.
        var choices = read.Choices();
        var model = defaults.Model;
        var modelsHome = Path.GetFullPath(read.Text("StoreOptions", "ModelsHome", defaults.Store.ModelsHome), baseDirectory);
        return defaults with
        {
            Store = new StoreSettings
            {
                ModelsHome = modelsHome,
                GraphCache = read.Raw("StoreOptions", "GraphCache") is { } graphCache
                    ? graphCache.Trim() is { Length: > 0 } folder && !folder.Equals("off", StringComparison.OrdinalIgnoreCase) ? Path.GetFullPath(folder, baseDirectory) : null
                    : Path.Combine(modelsHome, ".graph-cache"),
                OutputsHome = Path.GetFullPath(read.Text("StoreOptions", "OutputsHome", defaults.Store.OutputsHome), baseDirectory),
                KeepJobsDays = read.Int("StoreOptions", "KeepJobsDays", defaults.Store.KeepJobsDays, ParameterLimits.KeepJobsDays),
                JobStore = read.JobStore("StoreOptions", "JobStore", defaults.Store.JobStore),
                LeaseSeconds = read.Int("StoreOptions", "LeaseSeconds", defaults.Store.LeaseSeconds, ParameterLimits.LeaseSeconds),
                RetentionInterval = TimeSpan.FromMinutes(read.Double("StoreOptions", "RetentionIntervalMinutes", defaults.Store.RetentionInterval.TotalMinutes, ParameterLimits.RetentionIntervalMinutes)),
                MaxOutputsGb = read.Double("StoreOptions", "MaxOutputsGb", defaults.Store.MaxOutputsGb, ParameterLimits.MaxOutputsGb),
            },
            Model = new ModelSettings
            {
                ModelName = read.Text("ModelOptions", "ModelName", model.ModelName),
                DepthModelName = read.Text("ModelOptions", "DepthModelName", model.DepthModelName),
                Parameters = QualityPresets.Resolve(model.Parameters, choices, fewStepWeights: unetWeights is not null),
                Choices = choices,
                UNet = read.Bool("ModelOptions", "UNet", model.UNet),
                Engine = read.Enum(SettingKeys.Engine.Section, SettingKeys.Engine.Key, model.Engine),
                Variant = read.Raw("ModelOptions", "Variant") is { } variant ? variant.Trim() : model.Variant,
                Device = read.Enum("ModelOptions", "Device", model.Device),
                MemoryMode = read.Enum("ModelOptions", "MemoryMode", model.MemoryMode),
                GpuMemoryLimitMb = read.OptionalInt(SettingKeys.GpuMemoryLimitMb.Section, SettingKeys.GpuMemoryLimitMb.Key, ParameterLimits.GpuMemoryLimitMb),
                UNetWeights = unetWeights,
                Interpolation = read.Enum(SettingKeys.Interpolation.Section, SettingKeys.Interpolation.Key, model.Interpolation),
                RifeModelPath = read.Raw(SettingKeys.RifeModelPath.Section, SettingKeys.RifeModelPath.Key) is { Length: > 0 } rife && rife.Trim().Length > 0
                    ? Path.GetFullPath(rife.Trim(), baseDirectory)
                    : Path.Combine(modelsHome, "rife", "flownet.pkl"),
                RifeModelUrl = read.HttpUrl(SettingKeys.RifeModelUrl.Section, SettingKeys.RifeModelUrl.Key, model.RifeModelUrl),
                RifeModelSha256 = read.Sha256(SettingKeys.RifeModelSha256.Section, SettingKeys.RifeModelSha256.Key),
            },
            Web = new WebSettings
            {
                Host = read.Text(SettingKeys.Host.Section, SettingKeys.Host.Key, defaults.Web.Host),
                Port = read.Int(SettingKeys.Port.Section, SettingKeys.Port.Key, defaults.Web.Port, ParameterLimits.Port),
                MaxContentLength = read.Long("WebOptions", "MaxContentLength", defaults.Web.MaxContentLength, ParameterLimits.MaxContentLength),
                MaxQueuedJobs = read.Int("WebOptions", "MaxQueuedJobs", defaults.Web.MaxQueuedJobs, ParameterLimits.MaxQueuedJobs),
                AllowedHosts = read.List("WebOptions", "AllowedHosts"),
                AccessToken = read.Secret("WebOptions", "AccessToken"),
                JobsPerMinute = read.Int("WebOptions", "JobsPerMinute", defaults.Web.JobsPerMinute, ParameterLimits.JobsPerMinute),
                JobTimeout = TimeSpan.FromMinutes(read.Double("WebOptions", "JobTimeoutMinutes", defaults.Web.JobTimeout.TotalMinutes, ParameterLimits.JobTimeoutMinutes)),
            },
            Input = new InputSettings
            {
                MaxMegapixels = read.Int("InputOptions", "MaxMegapixels", defaults.Input.MaxMegapixels, ParameterLimits.MaxMegapixels),
                MaxSidePixels = read.Int("InputOptions", "MaxSidePixels", defaults.Input.MaxSidePixels, ParameterLimits.MaxSidePixels),
            },
            Output = new TurnLivePhotos.Media.Formats.OutputOptions
            {
                Formats = read.Formats(SettingKeys.Formats.Section, SettingKeys.Formats.Key, defaults.Output.Formats),
                FormatsRequested = !string.IsNullOrWhiteSpace(read.Raw(SettingKeys.Formats.Section, SettingKeys.Formats.Key)),
                SamsungTrailer = read.Bool(SettingKeys.SamsungTrailer.Section, SettingKeys.SamsungTrailer.Key, defaults.Output.SamsungTrailer),
                Loop = read.OptionalEnum<TurnLivePhotos.Media.Formats.LoopMode>(SettingKeys.Loop.Section, SettingKeys.Loop.Key),
                StripMetadata = read.Bool(SettingKeys.StripMetadata.Section, SettingKeys.StripMetadata.Key, defaults.Output.StripMetadata),
                AppleStill = read.Enum(SettingKeys.AppleStill.Section, SettingKeys.AppleStill.Key, defaults.Output.AppleStill),
            },
            FFmpegPath = read.Raw("ToolOptions", "FFmpegPath") is { Length: > 0 } ffmpeg ? Path.GetFullPath(ffmpeg.Trim(), baseDirectory) : null,
            NgrokPath = read.Raw("ToolOptions", "NgrokPath") is { Length: > 0 } ngrok ? Path.GetFullPath(ngrok.Trim(), baseDirectory) : null,
            CloudflaredPath = read.Raw("ToolOptions", "CloudflaredPath") is { Length: > 0 } cloudflared ? Path.GetFullPath(cloudflared.Trim(), baseDirectory) : null,
            ModelRepositoryUrl = read.Text("InstallationOptions", "ModelRepositoryUrl", read.Text("InstalltionOptions", "ModelRepositoryUrl", defaults.ModelRepositoryUrl)),
            HubToken = read.Raw("InstallationOptions", "HubToken") is { Length: > 0 } hubToken ? hubToken.Trim() : read.Raw("InstalltionOptions", "HubToken")?.Trim() is { Length: > 0 } oldSpellingToken ? oldSpellingToken : null,
            RunArguments = read.Text("LaunchOptions", "RunArguments", defaults.RunArguments),
        };
    }

    /// <summary>Parses raw configuration strings, naming the offending key and its source on failure.</summary>
    private sealed class SettingsReader(IConfigurationRoot root)
    {
        public string Text(string section, string key, string fallback)
        {
            var raw = Raw(section, key);
            return string.IsNullOrWhiteSpace(raw) ? fallback : raw.Trim();
        }

        /// <summary>Comma-separated words; empty gives an empty list.</summary>
        public IReadOnlyList<string> List(string section, string key) =>
            (Raw(section, key) ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        /// <summary>
        /// A secret such as a token: absent or empty is "none"; a value of only white space is an error, never
        /// silently "none" (a token the user meant to set must not leave the server open).
        /// </summary>
        public string? Secret(string section, string key)
        {
            var raw = Raw(section, key);
            if (string.IsNullOrEmpty(raw))
            {
                return null;
            }

            return raw.Trim() is { Length: > 0 } secret
                ? secret
                : throw new SettingsException($"invalid setting [{section}] {key} (from {SourceOf(section, key)}): the value is only white space; leave it empty for no token, or set a real one");
        }

        public int Int(string section, string key, int fallback, Range<int> range) =>
            OptionalInt(section, key, range) ?? fallback;

        public int? OptionalInt(string section, string key, Range<int> range) =>
            Parse(section, key, range, text => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null, "a whole number");

        public long Long(string section, string key, long fallback, Range<long> range) =>
            Parse(section, key, range, text => long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null, "a whole number") ?? fallback;

        public double Double(string section, string key, double fallback, Range<double> range) =>
            Parse(section, key, range, text => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : null, "a number") ?? fallback;

        /// <summary>Every generation parameter the settings may set, read through <see cref="MotionParameterTable"/>.</summary>
        public ParameterChoices Choices()
        {
            var choices = new ParameterChoices();
            foreach (var parameter in MotionParameterTable.From(ParameterSources.Settings))
            {
                var raw = Raw(MotionParameter.Section, parameter.SettingsKey);
                if (string.IsNullOrWhiteSpace(raw))
                {
                    continue;
                }

                try
                {
                    choices = parameter.Apply(choices, raw);
                }
                catch (ParameterValueException ex)
                {
                    throw Invalid(MotionParameter.Section, parameter.SettingsKey, raw, "expected " + ex.Expectation);
                }
            }

            return choices;
        }

        public bool Bool(string section, string key, bool fallback)
        {
            var raw = Raw(section, key);
            if (string.IsNullOrWhiteSpace(raw))
            {
                return fallback;
            }

            return raw.Trim().ToLowerInvariant() switch
            {
                "true" or "yes" or "on" or "1" => true,
                "false" or "no" or "off" or "0" => false,
                _ => throw Invalid(section, key, raw, "expected True or False"),
            };
        }

        /// <summary>An absolute http(s) URL; empty gives the fallback.</summary>
        public Uri HttpUrl(string section, string key, Uri fallback)
        {
            var raw = Raw(section, key);
            if (string.IsNullOrWhiteSpace(raw))
            {
                return fallback;
            }

            return Uri.TryCreate(raw.Trim(), UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp)
                ? url
                : throw Invalid(section, key, raw, "expected an http:// or https:// URL");
        }

        /// <summary>A SHA-256 as 64 hex digits, returned in lower case; empty gives null.</summary>
        public string? Sha256(string section, string key)
        {
            var raw = Raw(section, key);
            if (string.IsNullOrWhiteSpace(raw))
            {
                return null;
            }

            var text = raw.Trim();
            return text.Length == 64 && text.All(char.IsAsciiHexDigit)
                ? text.ToLowerInvariant()
                : throw Invalid(section, key, raw, "expected a SHA-256 of 64 hexadecimal digits");
        }

        public TEnum Enum<TEnum>(string section, string key, TEnum fallback)
            where TEnum : struct, Enum => OptionalEnum<TEnum>(section, key) ?? fallback;

        public IReadOnlyList<TurnLivePhotos.Media.Formats.OutputFormat> Formats(string section, string key, IReadOnlyList<TurnLivePhotos.Media.Formats.OutputFormat> fallback)
        {
            var raw = Raw(section, key);
            if (string.IsNullOrWhiteSpace(raw))
            {
                return fallback;
            }

            try
            {
                return TurnLivePhotos.Media.Formats.OutputFormatNames.ParseList(raw);
            }
            catch (FormatException ex)
            {
                throw Invalid(section, key, raw, ex.Message);
            }
        }

        /// <summary>sqlite or a connection string; an error quotes the value with its password hidden.</summary>
        public JobStoreLocation JobStore(string section, string key, JobStoreLocation fallback)
        {
            var raw = Raw(section, key);
            if (string.IsNullOrWhiteSpace(raw))
            {
                return fallback;
            }

            return JobStoreLocation.TryParse(raw)
                ?? throw Invalid(section, key, JobStoreLocation.MaskPassword(raw), "expected sqlite or a PostgreSQL connection string such as Host=localhost;Database=tlp;Username=tlp");
        }

        public TEnum? OptionalEnum<TEnum>(string section, string key)
            where TEnum : struct, Enum
        {
            var raw = Raw(section, key);
            if (string.IsNullOrWhiteSpace(raw))
            {
                return null;
            }

            return EnumNames.TryParse<TEnum>(raw, out var value)
                ? value
                : throw Invalid(section, key, raw, "expected one of " + EnumNames.List<TEnum>());
        }

        private T? Parse<T>(string section, string key, Range<T> range, Func<string, T?> parse, string kind)
            where T : struct, IComparable<T>
        {
            var raw = Raw(section, key);
            if (string.IsNullOrWhiteSpace(raw))
            {
                return null;
            }

            var value = parse(raw.Trim());
            if (value is null || !range.Contains(value.Value))
            {
                throw Invalid(section, key, raw, $"expected {kind} from {range}");
            }

            return value;
        }

        public string? Raw(string section, string key) => root[$"{section}:{key}"];

        private SettingsException Invalid(string section, string key, string raw, string expectation) =>
            new($"invalid setting [{section}] {key} = \"{raw.Trim()}\" (from {SourceOf(section, key)}): {expectation}");

        private string SourceOf(string section, string key)
        {
            var path = $"{section}:{key}";
            var provider = root.Providers.Reverse().FirstOrDefault(p => p.TryGet(path, out _));
            return provider switch
            {
                IniConfigurationProvider ini => ini.Source.Path ?? DefaultFileName,
                EnvironmentVariablesConfigurationProvider => $"environment variable {EnvironmentPrefix}{section}__{key}",
                MemoryConfigurationProvider => "the command line",
                _ => "configuration",
            };
        }
    }
}
