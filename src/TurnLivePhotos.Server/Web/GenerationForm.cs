using Microsoft.AspNetCore.Http;
using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Core.Parameters;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Media;
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
/// (motion_bucket_id or the Python tool's motion_bucket, noise_aug_strength, max_guidance_scale, frames, fps, seed, camera,
/// quality, sampler), the engine, and for jobs the formats and loop. Absent or empty fields keep the server's defaults.
/// </summary>
public static class GenerationForm
{
    /// <summary>
    /// The parameters of one request: the fields it sets (<see cref="ReadChoices"/>) laid over the server's parameters
    /// the way the settings lay theirs (<see cref="ModelSettings.ParametersFor"/>).
    /// </summary>
    public static MotionParameters ReadParameters(IFormCollection form, ModelSettings model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var choices = ReadChoices(form);
        if (choices.Sampler is { } chosen && model.Unusable(chosen) is { } why)
        {
            throw new FormValueException(MotionParameterTable.Sampler.Field, $"{MotionParameterTable.Sampler.Field} {why}; use euler or leave it empty");
        }

        return model.ParametersFor(choices);
    }

    /// <summary>Every generation parameter the form sets, by the names of <see cref="MotionParameterTable"/>; absent or empty fields stay unset.</summary>
    public static ParameterChoices ReadChoices(IFormCollection form)
    {
        ArgumentNullException.ThrowIfNull(form);
        var choices = new ParameterChoices();
        foreach (var parameter in MotionParameterTable.From(ParameterSources.Form))
        {
            if (First(form, parameter) is var (name, text))
            {
                try
                {
                    choices = parameter.Apply(choices, text);
                }
                catch (ParameterValueException ex)
                {
                    throw new FormValueException(name, $"{name} must be {ex.Expectation}, got \"{ClientText.Quote(text)}\"");
                }
            }
        }

        return choices;
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
            formats = string.IsNullOrWhiteSpace(formatsText) ? settings.Output.Formats : OutputFormatNames.ParseList(formatsText);
        }
        catch (FormatException ex)
        {
            throw new FormValueException("formats", ex.Message);
        }

        return new JobRequest(
            ReadParameters(form, settings.Model),
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

        return EnumNames.TryParse<TEnum>(text, out var value)
            ? value
            : throw new FormValueException(field, $"{field} must be one of {EnumNames.List<TEnum>()}, got \"{ClientText.Quote(text)}\"");
    }

    /// <summary>The first of a row's field names (its field, then its aliases) the form sets, with the value.</summary>
    private static (string Name, string Text)? First(IFormCollection form, MotionParameter parameter)
    {
        foreach (var name in (IEnumerable<string>)[parameter.Field, .. parameter.Aliases ?? []])
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
