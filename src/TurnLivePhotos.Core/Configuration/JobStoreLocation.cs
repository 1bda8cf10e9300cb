using System.Text.RegularExpressions;

namespace TurnLivePhotos.Core.Configuration;

/// <summary>Which database holds the jobs: SQLite in OutputsHome (one process) or PostgreSQL (shared by processes).</summary>
public enum JobStoreKind
{
    Sqlite,
    PostgreSql,
}

/// <summary>
/// [StoreOptions] JobStore: <c>sqlite</c> (the default: OutputsHome/jobs.db) or an Npgsql connection string
/// (<c>Host=db;Database=tlp;Username=tlp;Password=…</c>). Only the shape is checked here (keyword=value pairs); the
/// server hands the string to Npgsql, which names a key it does not know.
/// </summary>
public sealed partial record JobStoreLocation(JobStoreKind Kind, string? ConnectionString)
{
    public static JobStoreLocation Sqlite { get; } = new(JobStoreKind.Sqlite, null);

    /// <summary>Parses the setting's value; null when it is neither <c>sqlite</c> nor keyword=value pairs.</summary>
    public static JobStoreLocation? TryParse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var value = text.Trim();
        if (value.Equals("sqlite", StringComparison.OrdinalIgnoreCase))
        {
            return Sqlite;
        }

        var pairs = value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return pairs.Length > 0 && pairs.All(pair => pair.IndexOf('=', StringComparison.Ordinal) > 0)
            ? new JobStoreLocation(JobStoreKind.PostgreSql, value)
            : null;
    }

    /// <summary>The value as <c>settings</c> prints it and errors quote it: a password is never shown.</summary>
    public string Describe() => Kind == JobStoreKind.Sqlite ? "sqlite" : MaskPassword(ConnectionString ?? string.Empty);

    /// <summary>Hides the value of Password (and its spelling Pwd) in a connection string, and the password of a URL (user:secret@host).</summary>
    public static string MaskPassword(string connectionString) =>
        UrlPassword().Replace(PasswordPair().Replace(connectionString, "$1=***"), "$1:***@");

    [GeneratedRegex(@"(?i)\b(password|pwd)\s*=\s*[^;]*")]
    private static partial Regex PasswordPair();

    [GeneratedRegex(@"(://[^:/@\s]+):[^@\s]*@")]
    private static partial Regex UrlPassword();
}
