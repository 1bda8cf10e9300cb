using System.CommandLine;

namespace TurnLivePhotos.Commands;

/// <summary>
/// Options that take one of a few names. A value outside them is one line naming the option and its names —
/// <c>--loop must be one of forward, pingpong, crossfade, got "sideways"</c> — where System.CommandLine's
/// AcceptOnlyFromAmong says only "Argument 'sideways' not recognized". Any case is taken: the settings read the
/// value the same way, whatever its case.
/// </summary>
internal static class OptionChoices
{
    public static void AcceptOnly(this Option<string?> option, params string[] names)
    {
        option.CompletionSources.Add(names);
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } value && !names.Contains(value.Trim(), StringComparer.OrdinalIgnoreCase))
            {
                result.AddError($"{option.Name} must be one of {string.Join(", ", names)}, got \"{value}\"");
            }
        });
    }
}
