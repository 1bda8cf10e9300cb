using TurnLivePhotos.Core.Parameters;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Engine.Svd;

namespace TurnLivePhotos.Core.Configuration;

/// <summary>Everything configuration.ini (and TLP_ environment variables, and the command line) can set, validated.</summary>
public sealed record AppSettings
{
    public StoreSettings Store { get; init; } = new();

    public ModelSettings Model { get; init; } = new();

    public WebSettings Web { get; init; } = new();

    public InputSettings Input { get; init; } = new();

    /// <summary>[OutputOptions]: which files a conversion writes, and how the clips loop.</summary>
    public TurnLivePhotos.Media.Formats.OutputOptions Output { get; init; } = new();

    /// <summary>[ToolOptions] FFmpegPath: the ffmpeg executable; empty looks it up on the PATH.</summary>
    public string? FFmpegPath { get; init; }

    /// <summary>[ToolOptions] NgrokPath: the ngrok agent for <c>serve --ngrok</c>; empty looks it up on the PATH.</summary>
    public string? NgrokPath { get; init; }

    /// <summary>[ToolOptions] CloudflaredPath: cloudflared for <c>serve --tunnel cloudflared</c>; empty looks it up on the PATH.</summary>
    public string? CloudflaredPath { get; init; }

    /// <summary>[InstallationOptions] ModelRepositoryUrl (the Python tool spelled the section InstalltionOptions; both are read).</summary>
    public string ModelRepositoryUrl { get; init; } = "https://huggingface.co/stabilityai/stable-video-diffusion-img2vid-xt";

    /// <summary>[InstallationOptions] HubToken: a hub access token for gated models (else HF_TOKEN, else the hub client's token file). Never printed.</summary>
    public string? HubToken { get; init; }

    /// <summary>[LaunchOptions] RunArguments: extra arguments appended when <c>serve</c> starts.</summary>
    public string RunArguments { get; init; } = string.Empty;

    /// <summary>The configuration file that was read, if any.</summary>
    public string? ConfigurationFile { get; init; }
}

/// <summary>[StoreOptions]</summary>
public sealed record StoreSettings
{
    public string ModelsHome { get; init; } = "models";

    public string OutputsHome { get; init; } = "outputs";

    /// <summary>Finished jobs (and their files) older than this many days are deleted at start-up and every <see cref="RetentionInterval"/>; 0 keeps them.</summary>
    public int KeepJobsDays { get; init; } = 30;

    /// <summary>How often the server looks for jobs past <see cref="KeepJobsDays"/> while it runs ([StoreOptions] RetentionIntervalMinutes).</summary>
    public TimeSpan RetentionInterval { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Gigabytes OutputsHome may hold: once reached, new jobs are refused with 507 Insufficient Storage; 0 = no limit.</summary>
    public double MaxOutputsGb { get; init; } = 20;

    /// <summary>Where the jobs are kept: SQLite in OutputsHome (default) or a PostgreSQL database shared by workers.</summary>
    public JobStoreLocation JobStore { get; init; } = JobStoreLocation.Sqlite;

    /// <summary>
    /// With a shared job store: how long a worker's claim on a job lasts without a renewal. A worker renews it at every
    /// progress step and every third of this time; a job whose worker stayed silent this long is queued once more.
    /// </summary>
    public int LeaseSeconds { get; init; } = 30;

    /// <summary>
    /// Where the AI engine keeps the networks ONNX Runtime optimized (warm starts, weights mapped from disk instead of
    /// copied); null keeps none. Default: <c>.graph-cache</c> under ModelsHome, beside the models it was made from.
    /// </summary>
    public string? GraphCache { get; init; }
}

/// <summary>[ModelOptions]: the Python tool's keys plus the generation defaults.</summary>
public sealed record ModelSettings
{
    public string ModelName { get; init; } = "stabilityai/stable-video-diffusion-img2vid-xt";

    /// <summary>The cinematic engine's Depth Anything folder under ModelsHome (the Hugging Face repository's layout).</summary>
    public string DepthModelName { get; init; } = TurnLivePhotos.Engine.Depth.DepthModelFolder.DefaultName;

    /// <summary>
    /// The generation parameters a request leaves out: the defaults with <see cref="Choices"/> laid over them (unset
    /// keys keep <see cref="MotionParameters"/>' initial values).
    /// </summary>
    public MotionParameters Parameters { get; init; } = new();

    /// <summary>
    /// What the [ModelOptions] keys of <see cref="MotionParameterTable"/> set (in the file, the environment or on the
    /// command line), each null when no key did: the values set win over a preset a request names, as over the
    /// settings' own.
    /// </summary>
    public ParameterChoices Choices { get; init; } = new();

    /// <summary>The preset the settings name ([ModelOptions] Quality), else standard.</summary>
    public Quality Quality => Choices.Quality ?? Quality.Standard;

    /// <summary>Whether a UNet made for the few-step AnimateLCM sampler is configured (<see cref="UNetWeights"/>).</summary>
    public bool HasFewStepWeights => UNetWeights is not null;

    /// <summary>
    /// The parameters of a request that set <paramref name="request"/>: its preset and sampler over
    /// <see cref="Parameters"/>, under every value the settings set, then the request's own values.
    /// </summary>
    public MotionParameters ParametersFor(ParameterChoices request) =>
        QualityPresets.Resolve(Parameters, request, HasFewStepWeights, kept: Choices);

    /// <summary>Why <paramref name="sampler"/> cannot be used with these settings; null when it can.</summary>
    public string? Unusable(Sampler sampler) =>
        sampler == Sampler.AnimateLcm && !HasFewStepWeights
            ? SamplerDefaults.FewStepWeightsMissing
            : null;

    /// <summary>The Python tool's UNet switch (True: run the UNet as loaded, False: the Python tool compiled it ahead of time). Read and kept.</summary>
    public bool UNet { get; init; } = true;

    public EngineKind Engine { get; init; } = EngineKind.Auto;

    /// <summary>Weight variant preferred in the model folder (model.fp16.safetensors); empty for the plain files.</summary>
    public string Variant { get; init; } = "fp16";

    public ExecutionDevice Device { get; init; } = ExecutionDevice.Auto;

    public MemoryMode MemoryMode { get; init; } = MemoryMode.Auto;

    /// <summary>
    /// Megabytes the CUDA provider's memory arena may hold (the Python tool's --max-split-size-mb); null: no limit. Has no
    /// effect on the CPU.
    /// </summary>
    public int? GpuMemoryLimitMb { get; init; }

    /// <summary>A UNet weight file used instead of the model folder's (e.g. AnimateLCM-SVD-xt.safetensors); null: the folder's.</summary>
    public string? UNetWeights { get; init; }

    /// <summary>Whether a short AI clip is brought to 30 fps with RIFE (see <see cref="RifeModelPath"/>).</summary>
    public Conversion.InterpolationMode Interpolation { get; init; } = Conversion.InterpolationMode.Auto;

    /// <summary>The RIFE release's <c>flownet.pkl</c> (v4.25/v4.26); default <c>rife/flownet.pkl</c> under ModelsHome.</summary>
    public string RifeModelPath { get; init; } = Path.Combine("models", "rife", "flownet.pkl");

    /// <summary>Where <c>model download rife</c> fetches <see cref="RifeModelPath"/> from: the pinned release asset, or a mirror of it.</summary>
    public Uri RifeModelUrl { get; init; } = Models.RifeRelease.Url;

    /// <summary>The SHA-256 the download must hash to when it is not the pinned file (lower-case hex); null: the pin's.</summary>
    public string? RifeModelSha256 { get; init; }
}

/// <summary>[WebOptions]</summary>
public sealed record WebSettings
{
    /// <summary>Loopback unless asked otherwise; any other address needs an access token (one is made for the run if none is set).</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>
    /// Host names the server answers to besides IP literals, loopback names and this machine's own name (a request
    /// naming another host is refused: DNS rebinding). "*" allows any; "*.example.com" a domain's subdomains.
    /// </summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];

    /// <summary>0 picks a free port (the address in use is logged).</summary>
    public int Port { get; init; } = 5000;

    /// <summary>Largest request body in bytes, like Flask's MAX_CONTENT_LENGTH in the Python tool.</summary>
    public long MaxContentLength { get; init; } = 10 * 1024 * 1024;

    /// <summary>Jobs that may wait for the engine; one more is answered 503 with Retry-After.</summary>
    public int MaxQueuedJobs { get; init; } = 8;

    /// <summary>When set, every API call needs it (Authorization: Bearer, or the tlp_token cookie the server sets).</summary>
    public string? AccessToken { get; init; }

    /// <summary>Jobs one client may create per minute (POST /api/v1/jobs and /generate); 0 turns the limit off.</summary>
    public int JobsPerMinute { get; init; } = 30;

    /// <summary>Wall-clock limit of one job's run ([WebOptions] JobTimeoutMinutes): past it the job fails with a message and the queue moves on.</summary>
    public TimeSpan JobTimeout { get; init; } = TimeSpan.FromMinutes(240);
}

/// <summary>[InputOptions]</summary>
public sealed record InputSettings
{
    /// <summary>Largest photo accepted, in megapixels, checked from the header before any decoding.</summary>
    public int MaxMegapixels { get; init; } = TurnLivePhotos.Media.Decoding.DecodeBudget.DefaultMaxMegapixels;

    public long MaxPixels => MaxMegapixels * 1_000_000L;

    /// <summary>Longest side accepted, in pixels, checked from the header like <see cref="MaxMegapixels"/>.</summary>
    public int MaxSidePixels { get; init; } = TurnLivePhotos.Media.Decoding.DecodeBudget.DefaultMaxSidePixels;

    /// <summary>Both limits, for the decoder and ImageMagick's own resource limits.</summary>
    public TurnLivePhotos.Media.Decoding.DecodeBudget Budget => new(MaxPixels, MaxSidePixels);
}
