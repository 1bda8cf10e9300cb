using System.CommandLine;
using System.CommandLine.Parsing;

namespace TurnLivePhotos.Commands;

/// <summary>
/// A word that looks like an option but is none of the command's is a usage error, never a file name: <c>convert
/// photo.jpg --frame 10</c> must not convert "--frame" and "10" as photos. The nearest option is offered as a hint.
/// </summary>
public static class UnknownOptions
{
    /// <summary>Makes <paramref name="paths"/> refuse words starting with '-' that are not an existing file or folder.</summary>
    public static void RejectIn(Command command, Argument<string[]> paths)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(paths);
        paths.Validators.Add(result =>
        {
            foreach (var token in result.Tokens.Select(token => token.Value))
            {
                if (token.Length > 1 && token[0] == '-' && !File.Exists(token) && !Directory.Exists(token))
                {
                    result.AddError(Describe(command, token));
                    return;
                }
            }
        });
    }

    /// <summary>The first word the parser could not place that looks like an option, described with a hint; null when there is none.</summary>
    public static string? FirstIn(ParseResult parsed)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        return parsed.UnmatchedTokens.FirstOrDefault(token => token.Length > 1 && token[0] == '-') is { } unknown
            ? Describe(parsed.CommandResult.Command, unknown)
            : null;
    }

    public static string Describe(Command command, string token)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(token);
        var name = token.Split('=', 2)[0];
        var nearest = Names(command)
            .Select(candidate => (Candidate: candidate, Distance: Distance(name, candidate)))
            .Where(match => match.Distance <= Math.Max(2, name.Length / 3))
            .OrderBy(match => match.Distance)
            .ThenBy(match => match.Candidate, StringComparer.Ordinal)
            .Select(match => match.Candidate)
            .FirstOrDefault();
        return nearest is null ? $"unknown option {name}" : $"unknown option {name}; did you mean {nearest}?";
    }

    /// <summary>Every name and alias of the command's options, and of its parents' options that reach it.</summary>
    private static IEnumerable<string> Names(Command command)
    {
        var options = command.Options.AsEnumerable();
        for (var parent = command.Parents.OfType<Command>().FirstOrDefault(); parent is not null; parent = parent.Parents.OfType<Command>().FirstOrDefault())
        {
            options = options.Concat(parent.Options.Where(option => option.Recursive));
        }

        return options.SelectMany(option => option.Aliases.Prepend(option.Name)).Where(alias => alias.StartsWith('-')).Distinct();
    }

    /// <summary>Levenshtein distance: insertions, deletions and substitutions, one each.</summary>
    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        var current = new int[b.Length + 1];
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
