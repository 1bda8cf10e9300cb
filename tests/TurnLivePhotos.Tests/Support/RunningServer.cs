using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Core.Conversion;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Server;
using TurnLivePhotos.Server.Jobs;

namespace TurnLivePhotos.Tests.Support;

/// <summary>The real server on a free loopback port, with its outputs in a temp folder; talks real HTTP.</summary>
public sealed class RunningServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly TempFolder folder;
    private bool stopped;

    private RunningServer(WebApplication app, TempFolder folder, AppSettings settings)
    {
        this.app = app;
        this.folder = folder;
        Settings = settings;
        Client = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = TimeSpan.FromMinutes(2) };
    }

    public HttpClient Client { get; }

    public AppSettings Settings { get; }

    public string OutputsHome => Settings.Store.OutputsHome;

    public string Root => folder.Path;

    public Uri BaseAddress => Client.BaseAddress!;

    /// <summary>The job service: its queue is the store's, counted there.</summary>
    public IJobService Jobs => app.Services.GetRequiredService<IJobService>();

    public IServiceProvider Services => app.Services;

    /// <summary>Polls a job until it ends and asserts it succeeded (its JSON in the message otherwise); returns its JSON.</summary>
    public async Task<JsonElement> SucceededJobAsync(string id, int timeoutMilliseconds = 120_000)
    {
        for (var waited = 0; ; waited += 100)
        {
            var job = await Client.GetFromJsonAsync<JsonElement>($"api/v1/jobs/{id}");
            if (job.GetProperty("state").GetString() is "succeeded" or "failed")
            {
                Assert.True(job.GetProperty("state").GetString() == "succeeded", job.ToString());
                return job;
            }

            Assert.True(waited < timeoutMilliseconds, $"job {id} did not finish: {job}");
            await Task.Delay(100);
        }
    }

    /// <param name="builtInEngines">Serve with the engines the settings configure (SVD on their model folder, as <c>serve</c> does) instead of only the classic one.</param>
    /// <param name="behindLocalProxy">As <c>serve</c> runs it behind a tunnel agent on this machine.</param>
    public static async Task<RunningServer> StartAsync(Func<AppSettings, AppSettings>? configure = null, IMotionEngine? classic = null, bool builtInEngines = false, bool behindLocalProxy = false)
    {
        var folder = new TempFolder();
        var settings = new AppSettings
        {
            Store = new StoreSettings { ModelsHome = folder["models"], OutputsHome = folder["site/outputs"] },
            Web = new WebSettings { Host = "127.0.0.1", Port = 0 },
            Model = new ModelSettings { Parameters = new MotionParameters { Frames = 6, Fps = 7 } },
        };
        settings = configure?.Invoke(settings) ?? settings;
        var app = ServerHost.Build(settings, new ServerOptions
        {
            LogLevel = LogLevel.Warning,
            Engines = builtInEngines ? null : new EngineCatalog(System.IO.Path.Combine(settings.Store.ModelsHome, settings.Model.ModelName), classic),
            BehindLocalProxy = behindLocalProxy,
        });
        await app.StartAsync();
        return new RunningServer(app, folder, settings);
    }

    public static MultipartFormDataContent Form(byte[] file, string fileName = "photo.jpg", params (string Name, string Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        var content = new ByteArrayContent(file);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(content, "file", fileName);
        foreach (var (name, value) in fields)
        {
            form.Add(new StringContent(value), name);
        }

        return form;
    }

    public Task<HttpResponseMessage> GenerateAsync(byte[] file, string fileName = "photo.jpg", params (string Name, string Value)[] fields) =>
        Client.PostAsync("generate", Form(file, fileName, fields));

    /// <summary>Stops the server as a SIGTERM would (the host's graceful stop); <see cref="DisposeAsync"/> does it too.</summary>
    public async Task StopAsync()
    {
        if (!stopped)
        {
            stopped = true;
            await app.StopAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await StopAsync();
        await app.DisposeAsync();
        folder.Dispose();
    }
}
