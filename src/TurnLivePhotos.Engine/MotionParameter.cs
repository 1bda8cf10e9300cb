using System.Globalization;
using System.Numerics;

namespace TurnLivePhotos.Engine;

/// <summary>A parameter value that cannot be used; the message says what was expected (the caller names where the value came from).</summary>
public sealed class ParameterValueException(string expectation) : FormatException(expectation)
{
    public string Expectation { get; } = expectation;
}

/// <summary>One row of <see cref="MotionParameterTable"/>: names, range, where it may be set, and how it is read from text into <see cref="MotionParameters"/>.</summary>
/// <param name="Field">The web form field; the CLI option is the same with dashes (--noise-aug-strength).</param>
/// <param name="SettingsKey">The [ModelOptions] key.</param>
/// <param name="Aliases">Other form field names accepted (the seed's motion_bucket).</param>
public abstract record MotionParameter(string Field, string SettingsKey, ParameterSources Sources, string Description, IReadOnlyList<string>? Aliases = null)
{
    public string Option => "--" + Field.Replace('_', '-');

    /// <summary>What a valid value looks like: "a whole number from 0 to 255".</summary>
    public abstract string Expectation { get; }

    /// <summary>The parameters with this one set from <paramref name="text"/>.</summary>
    /// <exception cref="ParameterValueException">Not a value in range.</exception>
    public abstract MotionParameters Apply(MotionParameters parameters, string text);

    /// <summary>The value in <paramref name="parameters"/> as settings text; empty when unset.</summary>
    public abstract string Format(MotionParameters parameters);

    /// <summary><paramref name="target"/> with this parameter's value taken from <paramref name="source"/> (an unset value leaves it as it is).</summary>
    public abstract MotionParameters CopyValue(MotionParameters source, MotionParameters target);
}

/// <summary>A number within a range. Whole-number parameters also take "127.0"; nothing takes NaN or infinity.</summary>
public sealed record NumberParameter<T>(
    string Field,
    string SettingsKey,
    Range<T> Range,
    ParameterSources Sources,
    string Description,
    Func<MotionParameters, T?> Get,
    Func<MotionParameters, T, MotionParameters> Set,
    IReadOnlyList<string>? Aliases = null) : MotionParameter(Field, SettingsKey, Sources, Description, Aliases)
    where T : struct, INumber<T>
{
    private static bool IsWhole => typeof(T) != typeof(double) && typeof(T) != typeof(float);

    public override string Expectation => $"{(IsWhole ? "a whole number" : "a number")} from {Range}";

    public override MotionParameters Apply(MotionParameters parameters, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Parse(text.Trim()) is { } value && Range.Contains(value) ? Set(parameters, value) : throw new ParameterValueException(Expectation);
    }

    public override string Format(MotionParameters parameters) =>
        Get(parameters) is { } value ? value.ToString(null, CultureInfo.InvariantCulture) : string.Empty;

    public override MotionParameters CopyValue(MotionParameters source, MotionParameters target)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Get(source) is { } value ? Set(target, value) : target;
    }

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

/// <summary>One of an enum's values, by name (case-insensitive; numbers are not names).</summary>
public sealed record ChoiceParameter<TEnum>(
    string Field,
    string SettingsKey,
    ParameterSources Sources,
    string Description,
    Func<MotionParameters, TEnum> Get,
    Func<MotionParameters, TEnum, MotionParameters> Set,
    IReadOnlyList<string>? Aliases = null) : MotionParameter(Field, SettingsKey, Sources, Description, Aliases)
    where TEnum : struct, Enum
{
    public override string Expectation => "one of " + Media.EnumNames.List<TEnum>();

    public override MotionParameters Apply(MotionParameters parameters, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Media.EnumNames.TryParse<TEnum>(text, out var value)
            ? Set(parameters, value)
            : throw new ParameterValueException(Expectation);
    }

    public override string Format(MotionParameters parameters) => NameOf(Get(parameters));

    /// <summary>A value's name as every reader takes it and every listing shows it: "animatelcm".</summary>
    public static string NameOf(TEnum value) => Media.EnumNames.Of(value);

    public override MotionParameters CopyValue(MotionParameters source, MotionParameters target)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Set(target, Get(source));
    }
}
