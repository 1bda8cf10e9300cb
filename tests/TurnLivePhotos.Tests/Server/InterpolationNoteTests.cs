using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Server.Jobs;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Server;

/// <summary>
/// A finished job carries what <c>convert</c> prints as its interpolation <c>note:</c>, through the real server: in its
/// JSON (<c>interpolation_note</c>, server paths hidden), in its stored record, and only where there is something to say.
/// </summary>
public sealed class InterpolationNoteTests
{
    public static TheoryData<string> Sets => FixtureSets.All;

    [Theory]
    [MemberData(nameof(Sets))]
    public async Task An_ai_job_without_the_rife_model_says_so_and_names_the_command_and_a_classic_job_says_nothing(string set)
    {
        using var models = new TempFolder();
        TinyModelFolder.Create(set, models["tiny-svd"]);
        var configured = SettingsLoader.Load(models.Write("c.ini",
            $"[StoreOptions]\nModelsHome={models.Path}\n[ModelOptions]\nModelName=tiny-svd\nImagePromptWidth=64\nImagePromptHeight=64\nInferenceSteps=1\nOutputFrames=3\nDevice=cpu\n"));
        await using var server = await RunningServer.StartAsync(
            s => configured with { Store = configured.Store with { OutputsHome = s.Store.OutputsHome }, Web = s.Web }, builtInEngines: true);

        var ai = await RunAsync(server, "svd");
        var classic = await RunAsync(server, "classic");

        var note = ai.GetProperty("interpolation_note").GetString()!;
        Assert.StartsWith("no RIFE model at <path>, so the AI clip plays each frame once", note, StringComparison.Ordinal);
        Assert.Contains("`turn-live-photos model download rife`", note, StringComparison.Ordinal);
        Assert.DoesNotContain(models.Path, note, StringComparison.Ordinal);
        Assert.False(classic.TryGetProperty("interpolation_note", out _), "a classic clip is never interpolated, so there is nothing to note");

        var stored = new SqliteJobStore(server.OutputsHome).Get(ai.GetProperty("id").GetString()!)!;
        Assert.Equal(Path.Combine(models.Path, "rife", "flownet.pkl"), stored.InterpolationNote!.Split(" at ")[1].Split(',')[0]);
        Assert.Null(new SqliteJobStore(server.OutputsHome).Get(classic.GetProperty("id").GetString()!)!.InterpolationNote);
    }

    private static async Task<JsonElement> RunAsync(RunningServer server, string engine)
    {
        using var created = await server.Client.PostAsync("api/v1/jobs", RunningServer.Form(TestPhotos.Scene(160, 120), "p.jpg", ("formats", "gif"), ("engine", engine)));
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        return await server.SucceededJobAsync((await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!);
    }
}
