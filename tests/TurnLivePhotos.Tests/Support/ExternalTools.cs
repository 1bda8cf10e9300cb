using System.Diagnostics;
using TurnLivePhotos.Tests.Configuration;

namespace TurnLivePhotos.Tests.Support;

/// <summary>
/// The real tools the format tests verify with: ffprobe/ffmpeg (Debian package ffmpeg), heif-enc (libheif-examples,
/// to make iPhone-style HEIC inputs) and exiftool 13 (npm package exiftool-vendored.pl, run with perl). .ci/run
/// installs them.
/// </summary>
public static class ExternalTools
{
    public static string? Ffprobe => OnPath("ffprobe");

    public static string? Ffmpeg => OnPath("ffmpeg");

    /// <summary>exiftool from TLP_EXIFTOOL, from .ci/run's npm install (.tools/), or from the PATH.</summary>
    public static string? Exiftool
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable("TLP_EXIFTOOL");
            if (!string.IsNullOrEmpty(configured) && File.Exists(configured))
            {
                return configured;
            }

            var vendored = Path.Combine(SettingsTests.RepositoryRoot(), ".tools", "node_modules", "exiftool-vendored.pl", "bin", "exiftool");
            return File.Exists(vendored) ? vendored : OnPath("exiftool");
        }
    }

    public static string? Find(string tool) => tool switch
    {
        "ffprobe" => Ffprobe,
        "ffmpeg" => Ffmpeg,
        "exiftool" => Exiftool,
        "chromium" => File.Exists("/usr/bin/chromium") ? "/usr/bin/chromium" : null,
        "initdb" or "pg_ctl" or "postgres" => PostgresTool(tool),
        _ => OnPath(tool),
    };

    public static (int ExitCode, string Output, string Errors) Run(string tool, params string[] args)
    {
        var path = Find(tool) ?? throw new InvalidOperationException($"{tool} is not installed (bash .ci/run installs it)");
        var info = new ProcessStartInfo(tool == "exiftool" ? "perl" : path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (tool == "exiftool")
        {
            info.ArgumentList.Add(path);
        }

        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, output.Result, errors.Result);
    }

    /// <summary>Runs exiftool with -b to extract a binary tag.</summary>
    public static byte[] ExtractBinary(string file, string tag)
    {
        var info = new ProcessStartInfo("perl") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { Exiftool!, "-b", "-" + tag, file })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        using var buffer = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(buffer);
        process.WaitForExit();
        return buffer.ToArray();
    }

    /// <summary>
    /// A PostgreSQL server program: from the PATH, else from Debian's package layout (/usr/lib/postgresql/VERSION/bin,
    /// the newest version), where the package <c>postgresql</c> puts them without adding them to the PATH.
    /// </summary>
    public static string? PostgresTool(string name) =>
        OnPath(name) ?? (Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(folder => int.TryParse(Path.GetFileName(folder), out var version) ? version : 0)
                .Select(folder => Path.Combine(folder, "bin", name)).FirstOrDefault(File.Exists)
            : null);

    private static string? OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, name)).FirstOrDefault(File.Exists);
}

/// <summary>
/// A fact that needs real tools. In CI (CI=true, where .ci/run installs them) a missing tool fails the test; on a
/// developer machine without them the test is skipped with a message saying what to install.
/// </summary>
public sealed class RequiresToolsFactAttribute : FactAttribute
{
    public RequiresToolsFactAttribute(params string[] tools)
    {
        var missing = tools.Where(tool => ExternalTools.Find(tool) is null).ToList();
        if (missing.Count > 0 && Environment.GetEnvironmentVariable("CI") != "true")
        {
            Skip = $"needs {string.Join(", ", missing)} (bash .ci/run installs them)";
        }
    }
}

/// <summary>The theory form of <see cref="RequiresToolsFactAttribute"/>.</summary>
public sealed class RequiresToolsTheoryAttribute : TheoryAttribute
{
    public RequiresToolsTheoryAttribute(params string[] tools)
    {
        var missing = tools.Where(tool => ExternalTools.Find(tool) is null).ToList();
        if (missing.Count > 0 && Environment.GetEnvironmentVariable("CI") != "true")
        {
            Skip = $"needs {string.Join(", ", missing)} (bash .ci/run installs them)";
        }
    }
}
