using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Configuration;

/// <summary>The keys that bound jobs and disk: [WebOptions] JobTimeoutMinutes, [StoreOptions] RetentionIntervalMinutes and MaxOutputsGb.</summary>
public sealed class JobLimitSettingsTests
{
    [Fact]
    public void Without_the_keys_a_job_may_run_four_hours_retention_looks_hourly_and_outputs_hold_20_gb()
    {
        using var folder = new TempFolder();

        var settings = SettingsLoader.Load(folder.Write("empty.ini", string.Empty));

        Assert.Equal(TimeSpan.FromHours(4), settings.Web.JobTimeout);
        Assert.Equal(TimeSpan.FromMinutes(60), settings.Store.RetentionInterval);
        Assert.Equal(20, settings.Store.MaxOutputsGb);
    }

    [Fact]
    public void Fractions_are_read_as_written()
    {
        using var folder = new TempFolder();
        var path = folder.Write("limits.ini", "[WebOptions]\nJobTimeoutMinutes=0.5\n[StoreOptions]\nRetentionIntervalMinutes=2.5\nMaxOutputsGb=0.25\n");

        var settings = SettingsLoader.Load(path);

        Assert.Equal(TimeSpan.FromSeconds(30), settings.Web.JobTimeout);
        Assert.Equal(TimeSpan.FromSeconds(150), settings.Store.RetentionInterval);
        Assert.Equal(0.25, settings.Store.MaxOutputsGb);
    }
}
