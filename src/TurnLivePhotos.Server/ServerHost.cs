using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TurnLivePhotos.Core.Configuration;
using TurnLivePhotos.Core.Conversion;
using TurnLivePhotos.Media.Formats;
using TurnLivePhotos.Server.Jobs;
using TurnLivePhotos.Server.Jobs.Postgres;
using TurnLivePhotos.Server.Web;
using TurnLivePhotos.Server.Web.Access;

namespace TurnLivePhotos.Server;

/// <summary>How <c>serve</c> was started, beyond what the settings say.</summary>
public sealed record ServerOptions
{
    /// <summary>Write results into this folder instead of OutputsHome (the Python tool's --output-temp).</summary>
    public string? OutputDirectoryOverride { get; init; }

    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    /// <summary>Log every progress event of every job (the Python tool's --progress-bar).</summary>
    public bool ReportProgress { get; init; }

    /// <summary>Run jobs in this process (<c>serve</c>); false for <c>serve --no-worker</c>, whose jobs workers elsewhere run (shared store only).</summary>
    public bool RunWorker { get; init; } = true;

    /// <summary>A tunnel agent on this machine forwards the clients: their addresses come from its X-Forwarded-For.</summary>
    public bool BehindLocalProxy { get; init; }

    /// <summary>Engines to serve with; null uses the built-in ones for the configured model folder.</summary>
    public EngineCatalog? Engines { get; init; }
}

public static class ServerHost
{
    public static WebApplication Build(AppSettings settings, ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(options);
        if (ListenPolicy.Refusal(settings.Web, options.BehindLocalProxy) is { } refusal)
        {
            throw new SettingsException(refusal);
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
        });

        ConfigureLogging(builder.Logging, options.LogLevel);

        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = settings.Web.MaxContentLength;

            // Slow clients: headers must arrive within 30 s (else the connection is closed), and a body must keep
            // coming at 240 bytes/s or more after a 5 s grace, else the upload reader gets Kestrel's 408, which
            // the client hears as "the request body arrived too slowly". Kestrel's own defaults, written down here
            // because the API documents them.
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(30);
            kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 240, gracePeriod: TimeSpan.FromSeconds(5));
        });
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower;
            json.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull;
            json.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.SnakeCaseLower));
        });
        builder.WebHost.UseUrls($"http://{UrlHost(settings.Web.Host)}:{settings.Web.Port}");

        AddJobs(builder.Services, settings, options, serving: true);
        builder.Services.AddProblemDetails();
        builder.Services.AddAccessControl(settings.Web, options.BehindLocalProxy);
        builder.Services.AddOpenApi();
        builder.Services.AddSingleton<TurnLivePhotos.Server.Models.ServerModelDownloads>();

        var app = builder.Build();
        var engines = app.Services.GetRequiredService<EngineCatalog>();
        LogEngineChoice(app, engines, settings);
        app.UseExceptionHandler(new ExceptionHandlerOptions { ExceptionHandler = context => WriteUnhandledErrorAsync(context, settings) });
        app.UseAccessControl(options.BehindLocalProxy);
        MapEndpoints(app);
        JobsEndpoints.Map(app);
        SessionEndpoints.Map(app);
        ModelsEndpoints.Map(app);
        LivePhotoParts.Map(app);
        app.MapOpenApi("/openapi/{documentName}.json").RequireAuthorization(AccessControl.OwnerPolicy);
        return app;
    }

    /// <summary>A worker that serves no HTTP (<c>turn-live-photos worker</c>): this machine's engines and the shared store's worker.</summary>
    public static IHost BuildWorker(AppSettings settings, ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(options);
        if (settings.Store.JobStore.Kind != JobStoreKind.PostgreSql)
        {
            throw new SettingsException("a worker needs [StoreOptions] JobStore = a PostgreSQL connection string");
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
            DisableDefaults = true,
        });
        ConfigureLogging(builder.Logging, options.LogLevel);
        AddJobs(builder.Services, settings, options with { RunWorker = true }, serving: false);
        return builder.Build();
    }

    /// <summary>
    /// Who keeps and runs the jobs: one <see cref="JobService"/> over the store, which is the queue, and one
    /// <see cref="JobWorker"/> per process that runs jobs. SQLite: this one process serves and runs, its events in
    /// memory. PostgreSQL: this process serves the API (<paramref name="serving"/>) and/or is one of the workers, the
    /// events through LISTEN/NOTIFY.
    /// </summary>
    private static void AddJobs(IServiceCollection services, AppSettings settings, ServerOptions options, bool serving)
    {
        services.AddSingleton(settings);
        services.AddSingleton(options);
        services.AddSingleton(new OutputLocation(options.OutputDirectoryOverride ?? settings.Store.OutputsHome));
        services.AddSingleton(provider => options.Engines ?? EngineCatalog.FromSettings(settings, provider.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton(provider => new PhotoConverter(
            provider.GetRequiredService<EngineCatalog>(), settings.Input.Budget, provider.GetRequiredService<ILogger<PhotoConverter>>(), new FfmpegEncoder(settings.FFmpegPath)));
        services.AddSingleton<JobFiles>();
        services.AddSingleton<OutputsQuota>();
        if (settings.Store.JobStore.Kind == JobStoreKind.Sqlite)
        {
            services.AddSingleton(provider => JobStores.Open(settings.Store.JobStore, provider.GetRequiredService<OutputLocation>().Directory));
            services.AddSingleton<IJobEvents, BroadcastJobEvents>();
        }
        else
        {
            services.AddSingleton(provider => (PostgresJobStore)JobStores.Open(settings.Store.JobStore, provider.GetRequiredService<OutputLocation>().Directory));
            services.AddSingleton<IJobStore>(provider => provider.GetRequiredService<PostgresJobStore>());
            services.AddSingleton<PostgresJobEvents>();
            services.AddSingleton<IJobEvents>(provider => provider.GetRequiredService<PostgresJobEvents>());
            services.AddHostedService(provider => provider.GetRequiredService<PostgresJobEvents>());
        }

        // Retention sweeps once at start-up, before the worker takes (or recovers) a job.
        services.AddHostedService<JobRetention>();
        if (serving)
        {
            services.AddSingleton<IJobService, JobService>();
        }

        if (options.RunWorker)
        {
            services.AddHostedService<JobWorker>();
        }
    }

    private static void ConfigureLogging(ILoggingBuilder logging, LogLevel level)
    {
        logging.ClearProviders();
        logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss ";

            // A job's worker logs inside a "job <id>" scope, so the converter's and the engine's lines name the job too.
            console.IncludeScopes = true;
        });

        // Trace and span ids would ride along as scopes on every line; the job's own id is the one that matters here.
        logging.Configure(factory => factory.ActivityTrackingOptions = ActivityTrackingOptions.None);
        logging.SetMinimumLevel(level);
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        logging.AddFilter("Microsoft.Hosting", LogLevel.Warning);
    }

    private static void MapEndpoints(WebApplication app)
    {
        // The page is the one public thing: it asks for the token and trades it for the cookie.
        app.MapGet("/", (HttpContext context, AppSettings settings) =>
            SessionEndpoints.FromLink(context, settings) ?? Results.Stream(OpenPage("index.html"), "text/html; charset=utf-8"))
            .AllowAnonymous().RequireRateLimiting(AccessControl.TokenAttemptPolicy).ExcludeFromDescription();
        var generate = app.MapGroup("/generate").RequireAuthorization(AccessControl.OwnerPolicy);
        generate.MapPost("/", GenerateEndpoint.HandleAsync).DisableAntiforgery().RequireRateLimiting(AccessControl.JobCreationPolicy)
            .Produces(StatusCodes.Status200OK, contentType: "image/gif")
            .Produces<ErrorMessage>(StatusCodes.Status400BadRequest)
            .Produces<ErrorMessage>(StatusCodes.Status401Unauthorized)
            .Produces<ErrorMessage>(StatusCodes.Status408RequestTimeout)
            .Produces<ErrorMessage>(StatusCodes.Status413PayloadTooLarge)
            .Produces<ErrorMessage>(StatusCodes.Status415UnsupportedMediaType)
            .Produces<ErrorMessage>(StatusCodes.Status429TooManyRequests)
            .Produces<ErrorMessage>(StatusCodes.Status500InternalServerError)
            .Produces<ErrorMessage>(StatusCodes.Status503ServiceUnavailable)
            .Produces<ErrorMessage>(StatusCodes.Status507InsufficientStorage);
        generate.MapMethods("/", [HttpMethods.Get, HttpMethods.Put, HttpMethods.Delete, HttpMethods.Patch], (HttpContext context) =>
        {
            context.Response.Headers.Allow = HttpMethods.Post;
            return ErrorResponses.Message(new RequestError(StatusCodes.Status405MethodNotAllowed, "Method not allowed", "use POST /generate with a multipart 'file' field"));
        });
        EngineEndpoint.Map(app);
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

    /// <summary>What no endpoint caught, answered in the shape of its path (the exception itself is logged by the middleware).</summary>
    private static Task WriteUnhandledErrorAsync(HttpContext context, AppSettings settings)
    {
        var error = context.Features.Get<IExceptionHandlerFeature>()?.Error ?? new InvalidOperationException("unknown error");
        return ErrorResponses.WriteAsync(context, RequestError.Classify(error, settings.Web.MaxContentLength, RequestError.EngineUnavailableRetry));
    }

    private static Stream OpenPage(string name) =>
        Assembly.GetExecutingAssembly().GetManifestResourceStream("wwwroot/" + name)
        ?? throw new InvalidOperationException($"the page {name} is missing from the build");

    private static string UrlHost(string host) => host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? $"[{host}]" : host;
}
