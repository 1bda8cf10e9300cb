namespace TurnLivePhotos.Media.Formats;

/// <summary>
/// The one map between <see cref="OutputFormat"/> and its name — live, motion, mp4, gif, webp — as [OutputOptions]
/// Formats, --format, the jobs form's formats field, download URLs and job views all spell it.
/// </summary>
public static class OutputFormatNames
{
    /// <summary>The format's name: "webp".</summary>
    public static string Of(OutputFormat format) => EnumNames.Of(format);

    /// <summary>Every name, comma-separated: "live, motion, mp4, gif, webp".</summary>
    public static string All => EnumNames.List<OutputFormat>();

    /// <summary>Names joined as a list is written back: "live,motion,gif".</summary>
    public static string Join(IEnumerable<OutputFormat> formats, string separator = ",") => string.Join(separator, formats.Select(Of));

    /// <summary>The format one name stands for (any case; numbers are not names).</summary>
    public static bool TryParse(string? name, out OutputFormat format) => EnumNames.TryParse(name, out format);

    /// <summary>A comma-separated list of names, each format once, in the order given.</summary>
    /// <exception cref="FormatException">An unknown name, or no name at all.</exception>
    public static IReadOnlyList<OutputFormat> ParseList(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var formats = new List<OutputFormat>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            formats.Add(TryParse(part, out var format) ? format : throw new FormatException($"unknown output format '{part}' (known: {All})"));
        }

        return formats.Count > 0 ? formats.Distinct().ToList() : throw new FormatException("no output format given");
    }
}
