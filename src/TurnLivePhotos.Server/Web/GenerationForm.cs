using Microsoft.AspNetCore.Http;
using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Media.Formats;
using TurnLivePhotos.Server.Jobs;

namespace TurnLivePhotos.Server.Web;

/// <summary>A form value that is present but unusable; answered 400 naming the field.</summary>
public sealed class FormValueException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}

/// <summary>
/// Reads the form fields of both upload paths: every generation parameter the engine's table opens to forms
/// (motion_bucket_id or the seed's motion_bucket, noise_aug_strength, max_guidance_scale, frames, fps, seed, camera),
/// the engine, and for jobs the formats and loop. Absent or empty fields keep the server's defaults.
/// </summary>
public static class GenerationForm
{
    public static MotionParameters ReadParameters(IFormCollection form, MotionParameters defaults)
    {
        ArgumentNullException.ThrowIfNull(form);
        var parameters = defaults;
        foreach (var parameter in MotionParameterTable.From(ParameterSources.Form))
        {
            if (First(form, [parameter.Field, .. parameter.Aliases ?? []]) is not var (name, text))
            {
                continue;
            }

            try
            {
                parameters = parameter.Apply(parameters, text);
            }
            catch (ParameterValueException ex)
            {
                throw new FormValueException(name, $"{name} must be {ex.Expectation}, got \"{text}\"");
            }
        }

        return parameters;
    }

    /// <summary>The jobs API's fields: the parameters above, engine, formats and loop.</summary>
    public static JobRequest ReadJobRequest(IFormCollection form, AppSettings settings)
    {
        ArgumentNullException.ThrowIfNull(form);
        ArgumentNullException.ThrowIfNull(settings);
        var formatsText = form["formats"].ToString();
        IReadOnlyList<OutputFormat> formats;
        try
        {
            formats = string.IsNullOrWhiteSpace(formatsText) ? settings.Output.Formats : OutputOptions.ParseFormats(formatsText);
        }
        catch (FormatException ex)
        {
            throw new FormValueException("formats", ex.Message);
        }

        return new JobRequest(
            ReadParameters(form, settings.Model.Parameters),
            Engine(form, settings),
            formats,
            Choice<LoopMode>(form, "loop"));
    }

    /// <summary>The engine field of both upload paths; absent keeps [ModelOptions] Engine.</summary>
    public static EngineKind Engine(IFormCollection form, AppSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return Choice<EngineKind>(form, "engine") ?? settings.Model.Engine;
    }

    /// <summary>An enum value by name (any case; numbers are not names), or null when the field is absent.</summary>
    private static TEnum? Choice<TEnum>(IFormCollection form, string field)
        where TEnum : struct, Enum
    {
        var text = form[field].ToString().Trim();
        if (text.Length == 0)
        {
            return null;
        }

        var names = Enum.GetNames<TEnum>();
        return Enum.TryParse<TEnum>(text, ignoreCase: true, out var value) && names.Contains(value.ToString()) && !char.IsAsciiDigit(text[0])
            ? value
            : throw new FormValueException(field, $"{field} must be one of {string.Join(", ", names.Select(n => n.ToLowerInvariant()))}, got \"{text}\"");
    }

    private static (string Name, string Text)? First(IFormCollection form, IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            var text = form[name].ToString().Trim();
            if (text.Length > 0)
            {
                return (name, text);
            }
        }

        return null;
    }
}
