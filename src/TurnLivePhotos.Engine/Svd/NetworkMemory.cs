using TurnLivePhotos.Engine.Onnx;

namespace TurnLivePhotos.Engine.Svd;

/// <summary>
/// The pipeline's memory strategy, by <see cref="MemoryMode"/>: <see cref="MemoryMode.Fast"/> keeps every network's
/// session (and weight file) loaded for the next stage and run; <see cref="MemoryMode.Low"/> loads each network when
/// its stage needs it and releases it, its weight mapping and the freed native heap right after, runs the guidance
/// halves through the UNet one row at a time and decodes fewer frames at once. diffusers keeps the same choices
/// outside its pipeline too (<c>enable_model_cpu_offload</c> and the <c>decode_chunk_size</c> of its low-memory recipe).
/// </summary>
public sealed class NetworkMemory : IDisposable
{
    /// <summary>Frames decoded at once with <see cref="MemoryMode.Low"/> when DecodeChunkSize is not set.</summary>
    public const int LowMemoryDecodeChunk = 2;

    /// <summary>Frames decoded at once with <see cref="MemoryMode.Fast"/> when DecodeChunkSize is not set.</summary>
    public const int FastDecodeChunk = 8;

    private readonly Func<Microsoft.ML.OnnxRuntime.SessionOptions> sessionOptions;
    private readonly SvdPipelineMetrics metrics;
    private readonly Dictionary<string, OnnxNetwork> loaded = [];
    private readonly Dictionary<string, IDisposable> weightFiles = [];

    /// <param name="mode"><see cref="MemoryMode.Auto"/> is taken as <see cref="MemoryMode.Low"/>; the engine resolves Auto before this.</param>
    public NetworkMemory(MemoryMode mode, Func<Microsoft.ML.OnnxRuntime.SessionOptions> sessionOptions, SvdPipelineMetrics metrics)
    {
        Mode = mode == MemoryMode.Auto ? MemoryMode.Low : mode;
        this.sessionOptions = sessionOptions;
        this.metrics = metrics;
    }

    public MemoryMode Mode { get; }

    /// <summary>Where optimized graphs are kept between starts (warm starts); null optimizes on every load.</summary>
    public OptimizedModelCache? GraphCache { get; set; }

    /// <summary>
    /// Frames decoded at once when DecodeChunkSize is not set: <see cref="FastDecodeChunk"/> with
    /// <see cref="MemoryMode.Fast"/> (the value of diffusers' SVD example), <see cref="LowMemoryDecodeChunk"/> with
    /// <see cref="MemoryMode.Low"/> (the decode_chunk_size of diffusers' low-memory recipe). Not diffusers' default of
    /// every frame at once: the decoder's activations grow with the chunk, so at full size every frame at once would
    /// not fit in a desktop's memory (figures in docs/benchmarks.md).
    /// </summary>
    public int DecodeChunk(int frames) => Math.Min(frames, Mode == MemoryMode.Low ? LowMemoryDecodeChunk : FastDecodeChunk);

    /// <summary>
    /// Runs a network over <paramref name="rows"/> batch rows (the guidance halves) and returns the outputs stacked in
    /// row order. With <see cref="MemoryMode.Low"/> the rows run one at a time: the UNet treats each row on its own (its
    /// norms, attentions and convolutions never mix rows), so the output is the same while the activations — most of
    /// them the feed-forward's — are those of one row. <see cref="MemoryMode.Fast"/> keeps one call for all rows (a larger
    /// batch is a little faster per row). Rejected: splitting the frames instead — the temporal layers mix frames.
    /// </summary>
    /// <param name="run">Runs rows [first, first + count) and returns (count, …).</param>
    public FloatTensor ByRows(int rows, Func<int, int, FloatTensor> run)
    {
        if (Mode != MemoryMode.Low || rows == 1)
        {
            return run(0, rows);
        }

        FloatTensor? first = null;
        float[]? stacked = null;
        for (var row = 0; row < rows; row++)
        {
            var output = run(row, 1);
            first ??= output;
            stacked ??= new float[rows * output.Data.Length];
            output.Data.CopyTo(stacked, row * output.Data.Length);
        }

        return new FloatTensor(stacked!, [rows, .. first!.Shape[1..]]);
    }

    /// <summary>A weight file, opened once and kept until its network is released (or the pipeline is disposed).</summary>
    public IDisposable WeightFile(string path, Func<string, IDisposable> open)
    {
        if (!weightFiles.TryGetValue(path, out var file))
        {
            file = open(path);
            weightFiles[path] = file;
        }

        return file;
    }

    /// <summary>Runs with a network, loading it if needed; with <see cref="MemoryMode.Low"/> it (and its weight file) is released right after.</summary>
    public T Use<T>(string key, Func<OnnxModel> build, string? weightsPath, Func<OnnxNetwork, T> run)
    {
        if (!loaded.TryGetValue(key, out var network))
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var options = sessionOptions();
            network = OnnxNetwork.Create(build(), options, GraphCache, sessionOptions);
            metrics.Loaded(key, clock.Elapsed);
        }

        try
        {
            return run(network);
        }
        finally
        {
            if (Mode == MemoryMode.Fast)
            {
                loaded[key] = network;
            }
            else
            {
                network.Dispose();
                if (weightsPath is not null && weightFiles.Remove(weightsPath, out var file))
                {
                    file.Dispose();
                }

                NativeHeap.ReturnFreeMemory();
            }
        }
    }

    public void Dispose()
    {
        foreach (var network in loaded.Values)
        {
            network.Dispose();
        }

        foreach (var file in weightFiles.Values)
        {
            file.Dispose();
        }

        loaded.Clear();
        weightFiles.Clear();
    }
}
