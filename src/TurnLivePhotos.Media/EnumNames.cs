namespace TurnLivePhotos.Media;

/// <summary>
/// The one way an enum value is written and read by name in settings, form fields, CLI options, URLs and JSON-facing
/// text: lower case out ("animatelcm"), any case in, and only a declared name in — never a number ("1") or a
/// combination ("euler,animatelcm"), which <see cref="Enum.TryParse{TEnum}(string, bool, out TEnum)"/> alone accepts.
/// It lives in Media, the project every other one references.
/// </summary>
public static class EnumNames
{
    /// <summary>A value's name as every reader takes it and every listing shows it.</summary>
    public static string Of<TEnum>(TEnum value)
        where TEnum : struct, Enum => value.ToString().ToLowerInvariant();

    /// <summary>Every name, in declaration order: "euler, animatelcm".</summary>
    public static string List<TEnum>()
        where TEnum : struct, Enum => string.Join(", ", Enum.GetValues<TEnum>().Select(Of));

    /// <summary>The value named by <paramref name="text"/> (trimmed, any case); false for anything else.</summary>
    public static bool TryParse<TEnum>(string? text, out TEnum value)
        where TEnum : struct, Enum
    {
        var name = text?.Trim() ?? string.Empty;
        foreach (var candidate in Enum.GetValues<TEnum>())
        {
            if (candidate.ToString().Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                value = candidate;
                return true;
            }
        }

        value = default;
        return false;
    }

    /// <summary>The value named by <paramref name="text"/>, or null when it names none.</summary>
    public static TEnum? Parse<TEnum>(string? text)
        where TEnum : struct, Enum => TryParse<TEnum>(text, out var value) ? value : null;
}
