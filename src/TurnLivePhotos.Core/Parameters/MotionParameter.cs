using System.Globalization;
using System.Numerics;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Media;

namespace TurnLivePhotos.Core.Parameters;

/// <summary>A parameter value that cannot be used; the message says what was expected (the caller names where the value came from).</summary>
public sealed class ParameterValueException(string expectation) : FormatException(expectation)
{
    public string Expectation { get; } = expectation;
}

/// <summary>One row of <see cref="MotionParameterTable"/>: names, range, where it may be set, and how it is read from text into <see cref="ParameterChoices"/>.</summary>
/// <param name="Field">The web form field; the CLI option is the same with dashes (--noise-aug-strength).</param>
/// <param name="SettingsKey">The [ModelOptions] key.</param>
/// <param name="Aliases">Other form field names accepted (the Python tool's motion_bucket).</param>
public abstract record MotionParameter(string Field, string SettingsKey, ParameterSources Sources, string Description, IReadOnlyList<string>? Aliases = null)
{
    /// <summary>The configuration section of every generation parameter.</summary>
    public const string Section = "ModelOptions";

    public string Option => "--" + Field.Replace('_', '-');

    /// <summary>The [ModelOptions] key as the loader reads it and a command-line override sets it.</summary>
    public Configuration.SettingKey Setting => new(Section, SettingsKey);

    /// <summary>What a valid value looks like: "a whole number from 0 to 255".</summary>
    public abstract string Expectation { get; }

    /// <summary>The choices with this one set from <paramref name="text"/>.</summary>
    /// <exception cref="ParameterValueException">Not a value in range.</exception>
    public abstract ParameterChoices Apply(ParameterChoices choices, string text);

    /// <summary>The value set in <paramref name="choices"/> as settings text; empty when unset.</summary>
    public abstract string Format(ParameterChoices choices);

    /// <summary><paramref name="into"/> with this parameter set to its value in <paramref name="parameters"/> (what a listing shows as if set).</summary>
    public abstract ParameterChoices Take(MotionParameters parameters, ParameterChoices into);

    /// <summary>
    /// <paramref name="into"/> with this parameter's value from <paramref name="choices"/> when one is set there. The
    /// preset and the sampler are bundles, not values: <see cref="QualityPresets.Resolve"/> lays them.
    /// </summary>
    public abstract MotionParameters Lay(ParameterChoices choices, MotionParameters into);
}

/// <summary>A number within a range. Whole-number parameters also take "127.0"; nothing takes NaN or infinity.</summary>
public sealed record NumberParameter<T>(
    string Field,
    string SettingsKey,
    Range<T> Range,
    ParameterSources Sources,
    string Description,
    Func<ParameterChoices, T?> Get,
    Func<ParameterChoices, T, ParameterChoices> Set,
    Func<MotionParameters, T?> Read,
    Func<MotionParameters, T, MotionParameters> Write,
    IReadOnlyList<string>? Aliases = null) : MotionParameter(Field, SettingsKey, Sources, Description, Aliases)
    where T : struct, INumber<T>
{
    private static bool IsWhole => typeof(T) != typeof(double) && typeof(T) != typeof(float);

    public override string Expectation => $"{(IsWhole ? "a whole number" : "a number")} from {Range}";

    public override ParameterChoices Apply(ParameterChoices choices, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Parse(text.Trim()) is { } value && Range.Contains(value) ? Set(choices, value) : throw new ParameterValueException(Expectation);
    }

    public override string Format(ParameterChoices choices) =>
        Get(choices) is { } value ? value.ToString(null, CultureInfo.InvariantCulture) : string.Empty;

    public override ParameterChoices Take(MotionParameters parameters, ParameterChoices into) =>
        Read(parameters) is { } value ? Set(into, value) : into;

    public override MotionParameters Lay(ParameterChoices choices, MotionParameters into) =>
        Get(choices) is { } value ? Write(into, value) : into;

    private static T? Parse(string text)
    {
        if (T.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var exact))
        {
            return exact;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || !double.IsFinite(number) || (IsWhole && number != Math.Floor(number)))
        {
            return null;
        }

        // The range check follows; a value beyond the type's own range is refused here rather than wrapped.
        try
        {
            return T.CreateChecked(number);
        }
        catch (OverflowException)
        {
            return null;
        }
    }
}

/// <summary>One of an enum's values, by name (<see cref="EnumNames"/>).</summary>
public sealed record ChoiceParameter<TEnum>(
    string Field,
    string SettingsKey,
    ParameterSources Sources,
    string Description,
    Func<ParameterChoices, TEnum?> Get,
    Func<ParameterChoices, TEnum, ParameterChoices> Set,
    Func<MotionParameters, TEnum>? Read,
    Func<MotionParameters, TEnum, MotionParameters>? Write,
    IReadOnlyList<string>? Aliases = null) : MotionParameter(Field, SettingsKey, Sources, Description, Aliases)
    where TEnum : struct, Enum
{
    public override string Expectation => "one of " + EnumNames.List<TEnum>();

    public override ParameterChoices Apply(ParameterChoices choices, string text) =>
        EnumNames.TryParse<TEnum>(text, out var value) ? Set(choices, value) : throw new ParameterValueException(Expectation);

    public override string Format(ParameterChoices choices) => Get(choices) is { } value ? EnumNames.Of(value) : string.Empty;

    public override ParameterChoices Take(MotionParameters parameters, ParameterChoices into) =>
        Read is null ? into : Set(into, Read(parameters));

    public override MotionParameters Lay(ParameterChoices choices, MotionParameters into) =>
        Write is not null && Get(choices) is { } value ? Write(into, value) : into;
}
