using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Cli;

/// <summary>A command group typed alone (the real program): its commands listed, one line each, as a usage error.</summary>
public sealed class CommandMenuTests
{
    [Fact]
    public async Task Model_alone_lists_download_status_and_verify_one_line_each_and_exits_2()
    {
        using var folder = new TempFolder();

        var (exit, output, errors) = await CliProcess.RunAsync(folder.Path, null, "model");

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Collection(errors,
            line => Assert.Equal("error: `turn-live-photos model` needs one of these commands (`turn-live-photos model COMMAND --help` tells more):", line),
            line => Assert.Matches(@"^  download \[svd\|animatelcm\|depth\|rife\]  Fetch a model from the hub .*ModelsHome$", line),
            line => Assert.Matches(@"^  status                                Say where the SVD model is .+$", line),
            line => Assert.Matches(@"^  verify \[svd\|animatelcm\|depth\|rife\]    Re-hash a model's files .+$", line));
    }

    [Fact]
    public async Task Bench_alone_lists_its_commands_too()
    {
        using var folder = new TempFolder();

        var (exit, _, errors) = await CliProcess.RunAsync(folder.Path, null, "bench");

        Assert.Equal(2, exit);
        Assert.StartsWith("error: `turn-live-photos bench` needs one of these commands", errors[0], StringComparison.Ordinal);
        Assert.True(errors.Count > 2, string.Join(" | ", errors));
        Assert.All(errors.Skip(1), line => Assert.Matches(@"^  [a-z][a-z-]*( \S+)* {2,}\S", line));
        Assert.Single(errors, line => line.StartsWith("error:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_misspelt_command_under_a_group_is_named_above_the_same_list()
    {
        using var folder = new TempFolder();

        var (exit, _, errors) = await CliProcess.RunAsync(folder.Path, null, "model", "downlaod");

        Assert.Equal(2, exit);
        Assert.Equal("error: `turn-live-photos model` has no command \"downlaod\"; it has these (`turn-live-photos model COMMAND --help` tells more):", errors[0]);
        Assert.Equal(["download", "status", "verify"], errors.Skip(1).Select(line => line.TrimStart().Split(' ')[0]));
    }

    [Fact]
    public async Task A_misspelt_option_under_a_group_keeps_its_did_you_mean_hint()
    {
        using var folder = new TempFolder();

        var (exit, _, errors) = await CliProcess.RunAsync(folder.Path, null, "model", "--confg", "x.ini");

        Assert.Equal(2, exit);
        Assert.StartsWith("error: unknown option --confg; did you mean --config?", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Model_help_is_still_help_with_exit_0()
    {
        using var folder = new TempFolder();

        var (exit, output, errors) = await CliProcess.RunAsync(folder.Path, null, "model", "--help");

        Assert.Equal(0, exit);
        Assert.Empty(errors);
        Assert.Contains(output, line => line.TrimStart().StartsWith("download", StringComparison.Ordinal));
    }
}
