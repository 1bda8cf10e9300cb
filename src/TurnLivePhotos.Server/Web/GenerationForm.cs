using System.Globalization;
using Microsoft.AspNetCore.Http;
using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Engine;

namespace TurnLivePhotos.Server.Web;

/// <summary>A form value that is present but unusable; answered 400 with this message.</summary>
public sealed class FormValueException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}

/// <summary>Reads the seed's form fields (motion_bucket_id or motion_bucket, noise_aug_strength, max_guidance_scale); absent or empty fields keep their defaults.</summary>
public static class GenerationForm
{
    public static MotionParameters Read(IFormCollection form, MotionParameters defaults) => defaults with
    {
        MotionBucketId = Int(form, ["motion_bucket_id", "motion_bucket"], ParameterLimits.MotionBucketId) ?? defaults.MotionBucketId,
        NoiseAugStrength = Double(form, "noise_aug_strength", ParameterLimits.NoiseAugStrength) ?? defaults.NoiseAugStrength,
        MaxGuidanceScale = Double(form, "max_guidance_scale", ParameterLimits.GuidanceScale) ?? defaults.MaxGuidanceScale,
        Camera = OptionalEnum<CameraMove>(form, "camera") ?? defaults.Camera,
    };

    /// <summary>A named choice (engine, camera), case-insensitive; anything else is a 400 listing the choices.</summary>
    public static TEnum? OptionalEnum<TEnum>(IFormCollection form, string name)
        where TEnum : struct, Enum
    {
        var (_, text) = First(form, [name]);
        if (text is null)
        {
            return null;
        }

        var names = Enum.GetNames<TEnum>().Select(n => n.ToLowerInvariant()).ToArray();
        return names.Contains(text.ToLowerInvariant())
            ? Enum.Parse<TEnum>(text, ignoreCase: true)
            : throw new FormValueException(name, $"{name} must be one of {string.Join(", ", names)}, got \"{text}\"");
    }

    private static int? Int(IFormCollection form, string[] names, Range<int> range)
    {
        var (name, text) = First(form, names);
        if (text is null)
        {
            return null;
        }

        // Whole numbers, also when a client sends "127.0".
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value != Math.Floor(value))
        {
            throw new FormValueException(name, $"{name} must be a whole number from {range}, got \"{text}\"");
        }

        return value >= range.Min && value <= range.Max
            ? (int)value
            : throw new FormValueException(name, $"{name} must be from {range}, got {text}");
    }

    private static double? Double(IFormCollection form, string name, Range<double> range)
    {
        var (_, text) = First(form, [name]);
        if (text is null)
        {
            return null;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            throw new FormValueException(name, $"{name} must be a number from {range}, got \"{text}\"");
        }

        return range.Contains(value) ? value : throw new FormValueException(name, $"{name} must be from {range}, got {text}");
    }

    public static int? OptionalInt(IFormCollection form, string name, Range<int> range) => Int(form, [name], range);

    public static long? OptionalLong(IFormCollection form, string name, Range<long> range)
    {
        var (_, text) = First(form, [name]);
        if (text is null)
        {
            return null;
        }

        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && range.Contains(value)
            ? value
            : throw new FormValueException(name, $"{name} must be a whole number from {range}, got \"{text}\"");
    }

    private static (string Name, string? Text) First(IFormCollection form, string[] names)
    {
        foreach (var name in names)
        {
            var text = form[name].ToString().Trim();
            if (text.Length > 0)
            {
                return (name, text);
            }
        }

        return (names[0], null);
    }
}
