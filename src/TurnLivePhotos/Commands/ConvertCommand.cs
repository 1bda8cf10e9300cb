using System.CommandLine;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Core.Conversion;
using TurnLivePhotos.Core.Parameters;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Engine.Svd;
using TurnLivePhotos.Media.Decoding;
using TurnLivePhotos.Media.Formats;

namespace TurnLivePhotos.Commands;

/// <summary>
/// <c>convert</c>: many photos (files or folders) in one go. A failed photo prints one error line and the others
/// are still converted; the exit code is 1 when any failed.
/// </summary>
public static class ConvertCommand
{
    /// <summary>File kinds picked up from folders; files named explicitly are always tried (their bytes decide).</summary>
    public static readonly IReadOnlySet<string> PhotoExtensions = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        ".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif", ".heic", ".heif", ".avif",
    };

    public static Command Create(TextWriter output, TextWriter error, Terminal? terminal = null)
    {
        var photos = new Argument<string[]>("photos") { Description = "Photos or folders of photos", Arity = ArgumentArity.OneOrMore };
        var outputDirectory = new Option<string?>("--output", "-o") { Description = "Folder for the results (default: [StoreOptions] OutputsHome)" };
        var engine = new Option<string?>("--engine") { Description = "auto, classic, cinematic or svd (default: [ModelOptions] Engine, auto)" };
        engine.AcceptOnly("auto", "classic", "cinematic", "svd");

        // One option per generation parameter the engine's table opens to the command line; the value goes through
        // the settings (as [ModelOptions] KEY from "the command line"), so it is checked once, with the same message.
        var parameters = MotionParameterTable.From(ParameterSources.CommandLine)
            .Select(parameter => (Parameter: parameter, Option: new Option<string?>(parameter.Option)
            {
                Description = $"{parameter.Description}, {parameter.Expectation} (default {parameter.Setting}, else {OrNone(parameter.Format(Defaults))})",
            }))
            .ToList();
        var format = new Option<string?>("--format")
        {
            Description = $"Outputs, comma-separated: {OutputFormatNames.All} (default [OutputOptions] Formats, else {OutputFormatNames.Join(new OutputOptions().Formats, ", ")})",
        };
        var loop = new Option<string?>("--loop") { Description = "forward, pingpong or crossfade (default: pingpong for motion photos, forward otherwise)" };
        loop.AcceptOnly("forward", "pingpong", "crossfade");
        var strip = new Option<bool>("--strip-metadata") { Description = "Leave EXIF, XMP and GPS out of the still" };
        var samsung = new Option<bool>("--samsung-trailer") { Description = "Add Samsung's SEF trailer to motion photos" };
        var appleStill = new Option<string?>("--apple-still") { Description = "The Live Photo's still: auto (HEIC for a HEIC photo, else JPEG), jpeg or heic (default [OutputOptions] AppleStill, else auto)" };
        appleStill.AcceptOnly("auto", "jpeg", "heic");
        var noOverwrite = new Option<bool>("--no-overwrite")
        {
            Description = "Keep existing results: a photo whose outputs (any of the formats written) exist already gets the first free suffix, the same for all its files (lakeside-2.gif, LAKESIDE-2.JPG/.MOV/.zip/.pvt, IMG_<date>_lakeside-2_MP.jpg)",
        };
        var yes = new Option<bool>("--yes", "-y") { Description = "With no AI model and --engine auto: download the depth model for the cinematic engine without asking (also with no terminal)" };
        var interpolate = new Option<string?>("--interpolate") { Description = "auto (RIFE to 30 fps for a short AI clip when its model is there), off or rife (default [ModelOptions] Interpolation, else auto)" };
        interpolate.AcceptOnly(InterpolationNames);

        var command = new Command("convert", "Turn photos into motion and write the results");
        command.Arguments.Add(photos);
        UnknownOptions.RejectIn(command, photos);
        foreach (var option in new Option[] { outputDirectory, engine }.Concat(parameters.Select(p => p.Option)).Concat([format, loop, strip, samsung, appleStill, interpolate]))
        {
            command.Options.Add(option);
        }

        command.Options.Add(noOverwrite);
        command.Options.Add(yes);

        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = CommonOptions.LoadSettings(parse,
            [
                (SettingKeys.Engine, parse.GetValue(engine)),
                .. parameters.Select(p => (p.Parameter.Setting, (object?)parse.GetValue(p.Option))),
                (SettingKeys.Formats, parse.GetValue(format)),
                (SettingKeys.Loop, parse.GetValue(loop)),
                (SettingKeys.StripMetadata, parse.GetValue(strip) ? "true" : null),
                (SettingKeys.SamsungTrailer, parse.GetValue(samsung) ? "true" : null),
                (SettingKeys.AppleStill, parse.GetValue(appleStill)),
                (SettingKeys.Interpolation, parse.GetValue(interpolate)),
            ]);
            var run = new ConvertRun(settings, parse.GetValue(outputDirectory) ?? settings.Store.OutputsHome, CommonOptions.ParseLogLevel(parse), output, error)
            {
                NoOverwrite = parse.GetValue(noOverwrite),
                AcceptDownload = parse.GetValue(yes),
                Terminal = terminal ?? Terminal.None,
            };
            return await run.ExecuteAsync(parse.GetValue(photos) ?? [], cancellationToken);
        });
        return command;
    }

    /// <summary>The values of --interpolate: [ModelOptions] Interpolation's names.</summary>
    private static readonly string[] InterpolationNames = [.. Enum.GetValues<InterpolationMode>().Select(TurnLivePhotos.Media.EnumNames.Of)];

    /// <summary>Every default, as if set, for the options' help.</summary>
    private static ParameterChoices Defaults => ParameterChoices.Of(new MotionParameters(), new ModelSettings().Quality);

    private static string OrNone(string value) => value.Length == 0 ? "none" : value;

    private sealed class ConvertRun(AppSettings settings, string outputDirectory, LogLevel logLevel, TextWriter output, TextWriter error)
    {
        private TextWriter output = output;
        private TextWriter error = error;
        private readonly string outputDirectory = Path.GetFullPath(outputDirectory);
        private readonly HashSet<string> usedNames = new(StringComparer.OrdinalIgnoreCase);

        /// <summary>--no-overwrite: outputs that exist already are kept and this run's get a suffix.</summary>
        public bool NoOverwrite { get; init; }

        /// <summary>--yes: fetch the depth model on a first run without asking.</summary>
        public bool AcceptDownload { get; init; }

        public Terminal Terminal { get; init; } = Terminal.None;

        public async Task<int> ExecuteAsync(IReadOnlyList<string> inputs, CancellationToken cancellationToken)
        {
            // Each failed photo or format is one "error:"/"note:" line of this command's own; the converter's warnings
            // say the same in a logger's shape, so they show only when a log level is asked for.
            using var loggers = LoggerFactory.Create(logging => logging
                .SetMinimumLevel(logLevel == LogLevel.Information ? LogLevel.Warning : logLevel)
                .AddFilter(typeof(PhotoConverter).FullName, logLevel == LogLevel.Information ? LogLevel.Error : logLevel)
                .AddSimpleConsole(console => console.SingleLine = true)
                .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace));
            using var engines = EngineCatalog.FromSettings(settings, loggers);
            var converter = new PhotoConverter(engines, settings.Input.Budget, loggers.CreateLogger<PhotoConverter>(), new FfmpegEncoder(settings.FFmpegPath));

            await FirstRunOffer.RunAsync(settings, engines.DepthModelFolder, AcceptDownload, Terminal, output, error, cancellationToken);
            EngineChoice choice;
            try
            {
                choice = engines.Resolve(settings.Model.Engine);
            }
            catch (EngineUnavailableException ex)
            {
                await error.WriteLineAsync($"error: {ex.Message}");
                return Cli.SomeFailed;
            }

            if (choice.Engine is SvdMotionEngine && settings.Model.Unusable(settings.Model.Parameters.Sampler) is not null)
            {
                // Refused before any photo, as the page and the APIs refuse it: the base UNet under this sampler makes a blur.
                await error.WriteLineAsync($"error: {SamplerDefaults.FewStepWeightsMissingLine}");
                return Cli.SomeFailed;
            }

            await output.WriteLineAsync($"Engine: {choice.Engine.Name} — {choice.Reason}");
            if (CommonOptions.GpuMemoryLimitNote(settings) is { } note)
            {
                await error.WriteLineAsync(note);
            }

            var (photos, missing, skipped) = Expand(inputs);
            foreach (var (path, why) in skipped)
            {
                await error.WriteLineAsync($"note: skipped {path}: {why}");
            }

            var failures = 0;
            foreach (var path in missing)
            {
                failures++;
                await error.WriteLineAsync($"error: {path}: no such file or folder");
            }

            if (photos.Count == 0 && missing.Count == 0)
            {
                await error.WriteLineAsync("error: no photos found in the given folders");
                return Cli.SomeFailed;
            }

            var interactive = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
            var done = 0;
            var live = (output, error);
            using var outputBuffer = new StringWriter();
            using var errorBuffer = new StringWriter();
            try
            {
                if (interactive)
                {
                    // Lines written while the bars are live would tear them; they are printed once the bars are done.
                    (output, error) = (outputBuffer, errorBuffer);
                    await AnsiConsole.Progress()
                        .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                        .StartAsync(async context =>
                        {
                            foreach (var photo in photos)
                            {
                                var name = Markup.Escape(Path.GetFileName(photo));
                                var task = context.AddTask(name, maxValue: 1);
                                var progress = new SynchronousProgress<MotionProgress>(step =>
                                {
                                    task.Value = Math.Max(task.Value, step.OverallFraction);
                                    task.Description = $"{name} [grey]{Markup.Escape(step.ToString())}[/]";
                                });
                                failures += await ConvertOneAsync(converter, photo, progress, cancellationToken) ? 0 : 1;
                                done++;
                                task.Value = 1;
                            }
                        });
                }
                else
                {
                    foreach (var photo in photos)
                    {
                        failures += await ConvertOneAsync(converter, photo, progress: null, cancellationToken) ? 0 : 1;
                        done++;
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl-C: what is finished stays; the photo in progress leaves nothing (outputs are written whole or not at all).
                await Flush();
                await error.WriteLineAsync(
                    $"interrupted while converting {Path.GetFileName(photos[done])}: {done - (failures - missing.Count)} converted, {failures} failed, {photos.Count - done - 1} not started; every file written is whole");
                return Cli.Interrupted;
            }

            await Flush();
            await output.WriteLineAsync($"{photos.Count + missing.Count - failures} converted, {failures} failed");
            return failures == 0 ? Cli.Success : Cli.SomeFailed;

            async Task Flush()
            {
                if (interactive)
                {
                    (output, error) = live;
                    await output.WriteAsync(outputBuffer.ToString());
                    await error.WriteAsync(errorBuffer.ToString());
                }
            }
        }

        private async Task<bool> ConvertOneAsync(PhotoConverter converter, string photo, IProgress<MotionProgress>? progress, CancellationToken cancellationToken)
        {
            var name = Path.GetFileName(photo);
            try
            {
                var bytes = await File.ReadAllBytesAsync(photo, cancellationToken);
                var request = new ConversionRequest(bytes, settings.Model.Parameters, settings.Model.Engine, outputDirectory, UniqueBaseName(photo))
                {
                    Outputs = settings.Output,
                };
                var result = await converter.ConvertAsync(request, progress, cancellationToken);
                foreach (var file in result.Files.Values.Concat(result.Companions))
                {
                    await output.WriteLineAsync($"{name} -> {file} ({result.EngineName}, {result.FrameCount} frames, {result.Elapsed.TotalSeconds:0.0} s)");
                }

                if (result.Skipped.Count > 0)
                {
                    var formats = OutputFormatNames.Join(result.Skipped.Keys, ", ");
                    await error.WriteLineAsync($"note: {name}: {formats} skipped: {OneLine(result.Skipped.Values.First())}");
                }

                if (result.InterpolationNote is { } interpolationNote)
                {
                    await error.WriteLineAsync($"note: {name}: {OneLine(interpolationNote)}");
                }

                foreach (var note in result.MetadataNotes)
                {
                    await error.WriteLineAsync($"note: {name}: {OneLine(note.ToString())} (left out of the still)");
                }

                if (result.Failures.Count > 0)
                {
                    // One line per failed photo, naming each format that could not be written.
                    var reasons = result.Failures.Select(failure => $"{OutputFormatNames.Of(failure.Key)}: {OneLine(failure.Value)}");
                    await error.WriteLineAsync($"error: {name}: {string.Join("; ", reasons)}");
                }

                return result.Failures.Count == 0;
            }
            catch (Exception ex) when (ex is UnsupportedPhotoException or PhotoTooLargeException or EngineException or IOException or UnauthorizedAccessException)
            {
                await error.WriteLineAsync($"error: {name}: {OneLine(ex.Message)}");
                return false;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                // No photo may end the batch: an error nobody foresaw is still one line, with its kind to report it by.
                await error.WriteLineAsync($"error: {name}: {OneLine(ex.Message)} ({ex.GetType().Name})");
                return false;
            }
        }

        private string UniqueBaseName(string photo)
        {
            var stem = Path.GetFileNameWithoutExtension(photo);
            if (NoOverwrite)
            {
                var free = OutputNames.FirstFree(outputDirectory, stem, settings.Output.Formats, name => !usedNames.Contains(name));
                usedNames.Add(free);
                return free;
            }

            var candidate = stem;
            for (var n = 2; !usedNames.Add(candidate); n++)
            {
                candidate = $"{stem}-{n}";
            }

            return candidate;
        }

        /// <summary>
        /// The photos to convert: files named, and the photo files directly inside folders named. Everything else in
        /// those folders is listed with the reason it was left, so a folder run never passes over a file silently.
        /// </summary>
        private static (List<string> Photos, List<string> Missing, List<(string Path, string Why)> Skipped) Expand(IEnumerable<string> inputs)
        {
            var photos = new List<string>();
            var missing = new List<string>();
            var skipped = new List<(string, string)>();
            foreach (var input in inputs)
            {
                if (Directory.Exists(input))
                {
                    foreach (var entry in Directory.EnumerateFileSystemEntries(input).Order(StringComparer.Ordinal))
                    {
                        if (Directory.Exists(entry))
                        {
                            skipped.Add((entry + Path.DirectorySeparatorChar, "folders inside a folder are not searched; name it to convert its photos"));
                        }
                        else if (PhotoExtensions.Contains(Path.GetExtension(entry)))
                        {
                            photos.Add(entry);
                        }
                        else
                        {
                            skipped.Add((entry, $"not a photo file name ({string.Join(", ", PhotoExtensions.Order(StringComparer.Ordinal))}); name the file to try it anyway"));
                        }
                    }
                }
                else if (File.Exists(input))
                {
                    photos.Add(input);
                }
                else
                {
                    missing.Add(input);
                }
            }

            return (photos, missing, skipped);
        }

        private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
    }
}
