using System.Text;
using System.Text.RegularExpressions;

namespace TurnLivePhotos.Server.Web;

/// <summary>
/// What an error may tell a client about its own input and about the server: a short piece of what was sent,
/// never the whole of it (a 3 MB field must not come back as a 6 MB answer), no control characters, and no path on
/// this machine (a library's message can name its temporary files).
/// </summary>
public static partial class ClientText
{
    /// <summary>The most of a client's value an error quotes.</summary>
    public const int MaxQuoted = 40;

    /// <summary>The most one error's detail says.</summary>
    public const int MaxDetail = 300;

    /// <summary>The most a job's message says (it may list several formats' failures and what was left out of the still).</summary>
    public const int MaxJobMessage = 2000;

    /// <summary>A client's value as an error quotes it: at most <see cref="MaxQuoted"/> characters, control characters as '?'.</summary>
    public static string Quote(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var piece = value.Length > MaxQuoted ? value[..MaxQuoted] + "…" : value;
        return Printable(piece);
    }

    /// <summary>An error's detail as the client gets it: paths replaced, printable, at most <paramref name="limit"/> characters.</summary>
    public static string Detail(string detail, int limit = MaxDetail)
    {
        ArgumentNullException.ThrowIfNull(detail);
        var text = Printable(AbsolutePath().Replace(detail, "<path>"));
        return text.Length > limit ? text[..limit] + "…" : text;
    }

    private static string Printable(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            builder.Append(char.IsControl(c) ? '?' : c);
        }

        return builder.ToString();
    }

    /// <summary>A Unix path of two or more segments, or a Windows drive path.</summary>
    [GeneratedRegex(@"(?<![\w.:/])(?:/[^\s/'""`()<>:,;]+){2,}/?|[A-Za-z]:\\[^\s'""`()<>,;]+")]
    private static partial Regex AbsolutePath();
}
