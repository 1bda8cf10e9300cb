using System.CommandLine;

namespace TurnLivePhotos.Commands;

/// <summary>
/// A command group typed without one of its commands (<c>turn-live-photos model</c>): a usage error, as
/// System.CommandLine treats it ("Required command was not provided"), answered with the group's commands, one line each,
/// instead of that bare message. A word that is none of them is named, with the same list.
/// </summary>
public static class CommandMenu
{
    /// <summary>The lines to print when <paramref name="parsed"/> stopped at a group without naming one of its commands; null otherwise.</summary>
    public static IReadOnlyList<string>? For(ParseResult parsed)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        var group = parsed.CommandResult.Command;
        var commands = group.Subcommands.Where(command => !command.Hidden).ToList();
        if (parsed.Errors.Count == 0 || group.Action is not null || commands.Count == 0 || UnknownOptions.FirstIn(parsed) is not null)
        {
            return null;
        }

        var path = PathOf(group);
        var usages = commands.Select(Usage).ToList();
        var width = usages.Max(usage => usage.Length);
        var lines = new List<string>
        {
            parsed.UnmatchedTokens.FirstOrDefault() is { } unknown
                ? $"error: `{path}` has no command \"{unknown}\"; it has these (`{path} COMMAND --help` tells more):"
                : $"error: `{path}` needs one of these commands (`{path} COMMAND --help` tells more):",
        };
        lines.AddRange(commands.Select((command, i) => $"  {usages[i].PadRight(width)}  {Summary(command.Description)}"));
        return lines;
    }

    /// <summary>The command's name and its arguments' help names, optional ones in brackets: <c>download [svd|animatelcm|depth]</c>.</summary>
    private static string Usage(Command command) =>
        string.Join(' ', command.Arguments.Where(argument => !argument.Hidden)
            .Select(argument => argument.Arity.MinimumNumberOfValues == 0 ? $"[{argument.HelpName ?? argument.Name}]" : argument.HelpName ?? argument.Name)
            .Prepend(command.Name));

    /// <summary>A description's first clause (up to its first semicolon): the menu keeps one short line per command.</summary>
    private static string Summary(string? description) =>
        description is null ? string.Empty : description.Split("; ", 2)[0];

    /// <summary>The words that reach <paramref name="command"/>, starting with the program's name.</summary>
    private static string PathOf(Command command)
    {
        var names = new List<string>();
        for (Command? current = command; current is not null; current = current.Parents.OfType<Command>().FirstOrDefault())
        {
            names.Add(current is RootCommand ? Cli.ProgramName : current.Name);
        }

        names.Reverse();
        return string.Join(' ', names);
    }
}
