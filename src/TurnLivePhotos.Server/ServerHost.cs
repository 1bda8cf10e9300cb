using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Core.Conversion;
using TurnLivePhotos.Media.Formats;
using TurnLivePhotos.Server.Jobs;
using TurnLivePhotos.Server.Web;

namespace TurnLivePhotos.Server;

/// <summary>How <c>serve</c> was started, beyond what the settings say.</summary>
public sealed record ServerOptions
{
    /// <summary>Write results into this folder instead of OutputsHome (the seed's --output-temp).</summary>
    public string? OutputDirectoryOverride { get; init; }

    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    /// <summary>Log every progress event of every job (the seed's --progress-bar).</summary>
    public bool ReportProgress { get; init; }

    /// <summary>Engines to serve with; null uses the built-in ones for the configured model folder.</summary>
    public EngineCatalog? Engines { get; init; }
}

public static class ServerHost
{
    public static WebApplication Build(AppSettings settings, ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(options);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
        });

        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss ";
        });
        builder.Logging.SetMinimumLevel(options.LogLevel);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

        builder.WebHost.UseKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = settings.Web.MaxContentLength);
        builder.WebHost.UseUrls($"http://{UrlHost(settings.Web.Host)}:{settings.Web.Port}");

        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(new OutputLocation(options.OutputDirectoryOverride ?? settings.Store.OutputsHome));
        builder.Services.AddSingleton(provider => options.Engines ?? EngineCatalog.FromSettings(settings, provider.GetRequiredService<ILoggerFactory>()));
        builder.Services.AddSingleton(provider => new PhotoConverter(
            provider.GetRequiredService<EngineCatalog>(), settings.Input.MaxPixels, provider.GetRequiredService<ILogger<PhotoConverter>>(), new FfmpegEncoder(settings.FFmpegPath)));
        builder.Services.AddSingleton(provider => new GenerationQueue(
            provider.GetRequiredService<PhotoConverter>(), settings.Web.MaxQueuedJobs, options.ReportProgress, provider.GetRequiredService<ILogger<GenerationQueue>>()));
        builder.Services.AddHostedService(provider => provider.GetRequiredService<GenerationQueue>());
        builder.Services.AddSingleton<GenerateEndpoint>();
        builder.Services.AddSingleton(provider => new JobStore(provider.GetRequiredService<OutputLocation>().Directory));
        builder.Services.AddSingleton<JobManager>();
        builder.Services.AddHostedService(provider => provider.GetRequiredService<JobManager>());
        builder.Services.AddProblemDetails();
        builder.Services.AddAccessControl(settings.Web);
        builder.Services.AddOpenApi();

        var app = builder.Build();
        var engines = app.Services.GetRequiredService<EngineCatalog>();
        LogEngineChoice(app, engines, settings);
        app.UseExceptionHandler(new ExceptionHandlerOptions { ExceptionHandler = WriteUnhandledErrorAsync });
        app.UseAccessToken(settings.Web);
        app.UseRateLimiter();
        MapEndpoints(app, settings, engines);
        JobsEndpoints.Map(app);
        app.MapOpenApi("/openapi/{documentName}.json");
        return app;
    }

    private static void MapEndpoints(WebApplication app, AppSettings settings, EngineCatalog engines)
    {
        app.MapGet("/", () => Results.Stream(OpenPage("index.html"), "text/html; charset=utf-8"));
        app.MapPost("/generate", (HttpContext context, GenerateEndpoint endpoint) => endpoint.HandleAsync(context)).RequireRateLimiting(AccessControl.JobCreationPolicy);
        app.MapMethods("/generate", [HttpMethods.Get, HttpMethods.Put, HttpMethods.Delete, HttpMethods.Patch], (HttpContext context) =>
        {
            context.Response.Headers.Allow = HttpMethods.Post;
            return JsonErrors.Message(StatusCodes.Status405MethodNotAllowed, "use POST /generate with a multipart 'file' field");
        });
        app.MapGet("/api/v1/engine", () =>
        {
            EngineChoice choice;
            try
            {
                choice = engines.Resolve(settings.Model.Engine);
            }
            catch (TurnLivePhotos.Engine.EngineUnavailableException)
            {
                return JsonErrors.Message(StatusCodes.Status503ServiceUnavailable, "the configured engine is not available on this server");
            }

            return Results.Json(
                new EngineInfo(
                    choice.Engine.Name,
                    choice.Engine.IsGenerative,
                    ParameterLimits.MotionBucketId.Min,
                    ParameterLimits.MotionBucketId.Max,
                    ParameterLimits.NoiseAugStrength.Min,
                    ParameterLimits.NoiseAugStrength.Max,
                    ParameterLimits.GuidanceScale.Min,
                    ParameterLimits.GuidanceScale.Max,
                    settings.Web.MaxContentLength,
                    settings.Model.OutputFrames,
                    ParameterLimits.Frames.Max,
                    settings.Model.OutputFps,
                    ParameterLimits.Fps.Max),
                ServerJsonContext.Default.EngineInfo);
        });
    }

    private static void LogEngineChoice(WebApplication app, EngineCatalog engines, AppSettings settings)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("TurnLivePhotos.Server");
        try
        {
            var choice = engines.Resolve(settings.Model.Engine);
            logger.LogInformation("Engine: {Engine} ({Reason})", choice.Engine.Name, choice.Reason);
        }
        catch (TurnLivePhotos.Engine.EngineUnavailableException ex)
        {
            logger.LogError("Engine: {Reason}; every job will be refused until this is fixed", ex.Message);
        }
    }

    private static Task WriteUnhandledErrorAsync(HttpContext context)
    {
        var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
        if (error is BadHttpRequestException bad)
        {
            return JsonErrors.WriteAsync(context, bad.StatusCode, bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? "the upload is too large" : "bad request");
        }

        return JsonErrors.WriteAsync(context, StatusCodes.Status500InternalServerError, "internal server error; the details are in the server log");
    }

    private static Stream OpenPage(string name) =>
        Assembly.GetExecutingAssembly().GetManifestResourceStream("wwwroot/" + name)
        ?? throw new InvalidOperationException($"the page {name} is missing from the build");

    private static string UrlHost(string host) => host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? $"[{host}]" : host;
}
