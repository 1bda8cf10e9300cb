namespace TurnLivePhotos.Commands;

/// <summary>
/// Whether a person is at the keyboard (standard input and output both a terminal) and where their answers come
/// from. The product uses <see cref="FromConsole"/>; tests pass one of their own to answer a question.
/// </summary>
public sealed record Terminal(bool IsInteractive, TextReader Input)
{
    /// <summary>The process's console: interactive only when neither standard input nor standard output is redirected.</summary>
    public static Terminal FromConsole() => new(!Console.IsInputRedirected && !Console.IsOutputRedirected, Console.In);

    /// <summary>No person: nothing is asked (a pipe, a script, a service).</summary>
    public static Terminal None { get; } = new(false, TextReader.Null);
}
