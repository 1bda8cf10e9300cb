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
/// (motion_bucket_id or the seed's motion_bucket, noise_aug_strength, max_guidance_scale, frames, fps, seed), and
/// for jobs the engine, formats and loop. Absent or empty fields keep the server's defaults.
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
        var parameters = ReadParameters(form, settings.Model.Parameters);
        var engine = Choice(form, "engine", ["auto", "classic", "svd"]) ?? settings.Model.Engine.ToString().ToLowerInvariant();
        var loop = Choice(form, "loop", ["forward", "pingpong", "crossfade"]);
        var formatsText = form["formats"].ToString();
        string[] formats;
        try
        {
            formats = (string.IsNullOrWhiteSpace(formatsText) ? settings.Output.Formats : OutputOptions.ParseFormats(formatsText))
                .Select(f => f.ToString().ToLowerInvariant()).ToArray();
        }
        catch (FormatException ex)
        {
            throw new FormValueException("formats", ex.Message);
        }

        return new JobRequest(parameters.MotionBucketId, parameters.NoiseAugStrength, parameters.MaxGuidanceScale, parameters.Frames, parameters.Fps, parameters.Seed, engine, formats, loop);
    }

    private static string? Choice(IFormCollection form, string field, string[] allowed)
    {
        var text = form[field].ToString().Trim().ToLowerInvariant();
        if (text.Length == 0)
        {
            return null;
        }

        return allowed.Contains(text) ? text : throw new FormValueException(field, $"{field} must be one of {string.Join(", ", allowed)}, got \"{text}\"");
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
