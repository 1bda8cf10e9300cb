using Microsoft.ML.OnnxRuntime;
using TurnLivePhotos.Engine.Weights;

namespace TurnLivePhotos.Engine.Onnx;

/// <summary>
/// An ONNX Runtime session for a graph from <see cref="GraphBuilder"/>, with its weights bound in place.
/// </summary>
/// <remarks>
/// How weights reach ONNX Runtime. The managed API offers two routes that avoid putting weights into the protobuf:
/// <c>SessionOptions.AddInitializer</c> (an OrtValue over caller memory, e.g. the mapped safetensors bytes; the
/// C API's AddExternalInitializers is not wrapped) and ONNX external data (initializers that name a file, offset
/// and length). We tried AddInitializer first: it is zero-copy, but ORT's graph optimizers (constant folding of an
/// fp16→fp32 Cast, NCHWc weight re-layout, GroupNorm affine reshapes) read initializer contents from the protobuf
/// and fail on data-less initializers, so it would force the optimizers off. External data pointing into the
/// safetensors files keeps every optimization: ORT reads each tensor once, straight from the file (memory-mapping
/// it when the offset allows), with the model's folder given by the session option
/// <c>session.model_external_initializers_file_folder_path</c>. The weights thus pass through memory once, in
/// ONNX Runtime's own buffers, and never through managed arrays or the protobuf.
/// </remarks>
public sealed class OnnxNetwork : IDisposable
{
    /// <summary>The session config entry naming the folder that a graph's external data files are read from.</summary>
    internal const string ExternalDataFolderKey = "session.model_external_initializers_file_folder_path";

    private readonly InferenceSession session;
    private readonly bool shrinkArenaAfterRun;

    private OnnxNetwork(InferenceSession session, OnnxModel model, bool shrinkArenaAfterRun)
    {
        this.session = session;
        Model = model;
        this.shrinkArenaAfterRun = shrinkArenaAfterRun;
    }

    public OnnxModel Model { get; }

    /// <param name="cache">Where optimized graphs are kept between runs; null optimizes the graph on every start.</param>
    /// <param name="moreOptions">
    /// Makes another set of the same options: with a cache, a cold start then reopens the entry it has just saved, so
    /// the session maps its weights as a warm start does instead of keeping the optimizer's heap copies.
    /// </param>
    /// <param name="shrinkArenaAfterRun">
    /// Hand the arena's free memory back after each run (<see cref="CpuThreads.Options"/>); false keeps it for the
    /// next run, for a network run frame after frame at one size (<see cref="CpuThreads.RepeatedRunOptions"/>).
    /// </param>
    public static OnnxNetwork Create(OnnxModel model, SessionOptions? options = null, OptimizedModelCache? cache = null, Func<SessionOptions>? moreOptions = null, bool shrinkArenaAfterRun = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        var ownedOptions = options is null;
        options ??= CpuThreads.Options();
        try
        {
            var folders = model.Weights.Select(weight => Path.GetDirectoryName(weight.File.Path)!).Distinct().ToList();
            if (folders.Count > 1)
            {
                throw new WeightFileException($"one network's weights must sit in one folder, not in {string.Join(", ", folders)}");
            }

            if (cache is not null)
            {
                return new OnnxNetwork(cache.Open(model, options, (options, widenedFolder) => Fresh(model, options, folders, widenedFolder), moreOptions), model, shrinkArenaAfterRun);
            }

            return new OnnxNetwork(Fresh(model, options, folders, widenedFolder: null), model, shrinkArenaAfterRun);
        }
        finally
        {
            if (ownedOptions)
            {
                options.Dispose();
            }
        }
    }

    /// <summary>
    /// A session optimized from the in-memory graph, its weights read from their folder — or, given
    /// <paramref name="widenedFolder"/>, the graph's widened form with its float32 weights read from that folder.
    /// </summary>
    private static InferenceSession Fresh(OnnxModel model, SessionOptions options, List<string> folders, string? widenedFolder)
    {
        if (widenedFolder is not null)
        {
            options.AddSessionConfigEntry(ExternalDataFolderKey, widenedFolder);
            return new InferenceSession(model.Widened!.Proto, options);
        }

        if (folders.Count == 1)
        {
            options.AddSessionConfigEntry(ExternalDataFolderKey, folders[0]);
        }

        return new InferenceSession(model.Proto, options);
    }

    /// <summary>Runs the graph on named float32 inputs and returns every output as a host tensor.</summary>
    /// <remarks>
    /// Cancellation reaches inside the run: the token sets <c>RunOptions.Terminate</c>, which ONNX Runtime checks
    /// between nodes, so a UNet step stops within a node or two instead of running to its end. The run then fails
    /// inside ONNX Runtime, and that failure is reported as the cancellation it is.
    /// </remarks>
    /// <exception cref="OperationCanceledException">The token was cancelled before or during the run.</exception>
    public IReadOnlyDictionary<string, FloatTensor> Run(IReadOnlyDictionary<string, FloatTensor> inputs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        cancellationToken.ThrowIfCancellationRequested();
        var names = Model.Inputs;
        var values = new List<OrtValue>();
        try
        {
            foreach (var name in names)
            {
                var tensor = inputs.TryGetValue(name, out var found) ? found : throw new ArgumentException($"input '{name}' is missing", nameof(inputs));
                values.Add(OrtValue.CreateTensorValueFromMemory(tensor.Data, tensor.Shape));
            }

            using var runOptions = new RunOptions();
            if (shrinkArenaAfterRun)
            {
                runOptions.AddRunConfigEntry(CpuThreads.ShrinkArenaAfterRun, "cpu:0");
            }

            using var terminate = cancellationToken.Register(() => runOptions.Terminate = true);
            using var results = RunOrCancel(runOptions, names, values, cancellationToken);
            var outputs = new Dictionary<string, FloatTensor>();
            for (var i = 0; i < Model.Outputs.Count; i++)
            {
                var info = results[i].GetTensorTypeAndShape();
                outputs[Model.Outputs[i]] = new FloatTensor(results[i].GetTensorDataAsSpan<float>().ToArray(), info.Shape);
            }

            return outputs;
        }
        finally
        {
            values.ForEach(value => value.Dispose());
        }
    }

    public void Dispose() => session.Dispose();

    private IDisposableReadOnlyCollection<OrtValue> RunOrCancel(RunOptions runOptions, IReadOnlyCollection<string> names, IReadOnlyCollection<OrtValue> values, CancellationToken cancellationToken)
    {
        try
        {
            return session.Run(runOptions, names, values, Model.Outputs);
        }
        catch (OnnxRuntimeException ex) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("the run was terminated", ex, cancellationToken);
        }
    }
}
