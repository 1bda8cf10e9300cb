using System.Security.Cryptography;
using System.Text;
using Microsoft.ML.OnnxRuntime;

namespace TurnLivePhotos.Engine.Onnx;

/// <summary>
/// Optimized graphs kept on disk, so a second start skips ONNX Runtime's graph optimization (constant folding of
/// the fp16→fp32 casts, NCHWc re-layout, fusions — most of a cold load's time; figures in docs/benchmarks.md).
/// </summary>
/// <remarks>
/// ONNX Runtime saves the graph it optimized when <c>SessionOptions.OptimizedModelFilePath</c> is set; for models
/// past protobuf's 2 GB limit the initializers go to one external data file named by the session config entry
/// <c>session.optimized_model_external_initializers_file_name</c> (every initializer of at least
/// <c>..._min_size_in_bytes</c>). A cached entry is then opened with optimizations off — it already holds their
/// result, including the CPU provider's NCHWc layout, which is why the device is part of the key — and without its
/// inputs' shapes, which only slowed ONNX Runtime's planning (<see cref="ShapelessInputs"/>).
/// The key is a SHA-256 of the graph's protobuf (structure, frame count, precision, attention kernel), every
/// weight file's full path, size and modification time, the ONNX Runtime version and the device: any change is a
/// different entry, so a stale one is never read. Two processes starting at once: the one that takes the entry's
/// lock file writes it into a private temporary folder and renames the data, then the graph, into place (the
/// graph's presence means the entry is complete); the other optimizes in memory without saving. A damaged entry
/// is deleted and rebuilt. Rejected: caching our own protobuf (it is cheap to build; the optimization is what
/// costs), and ONNX Runtime's ORT format (no external data, so the whole float32 model is one flatbuffer read into
/// memory). See docs/decisions/0005-graph-cache.md.
/// </remarks>
public sealed class OptimizedModelCache(string folder, string device)
{
    private const string ExternalFileKey = "session.optimized_model_external_initializers_file_name";
    private const string ExternalMinSizeKey = "session.optimized_model_external_initializers_min_size_in_bytes";

    public string Folder { get; } = Path.GetFullPath(folder);

    /// <summary>Called with an entry's private folder before ONNX Runtime optimizes into it (tests put obstacles there).</summary>
    internal Action<string>? BeforeOptimizing { get; init; }

    /// <summary>The entry name of a model: what identifies the graph, its weights, the runtime and the device.</summary>
    public string Key(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(model.Proto);
        foreach (var file in model.Weights.Select(w => w.File.Path).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var info = new FileInfo(file);
            hash.AppendData(Encoding.UTF8.GetBytes($"\n{info.FullName}|{info.Length}|{info.LastWriteTimeUtc.Ticks}"));
        }

        hash.AppendData(Encoding.UTF8.GetBytes($"\n{OrtEnv.Instance().GetVersionString()}|{device}"));
        return Convert.ToHexStringLower(hash.GetHashAndReset())[..32];
    }

    /// <summary>A session for the model: from its cached optimized graph, or optimized by <paramref name="fresh"/> and saved.</summary>
    /// <param name="fresh">Creates the session from the model (the folder of its widened weights, or null for its own form).</param>
    /// <param name="moreOptions">Another set of the options, to reopen a just-saved entry; null keeps the optimizing session.</param>
    internal InferenceSession Open(OnnxModel model, SessionOptions options, Func<SessionOptions, string?, InferenceSession> fresh, Func<SessionOptions>? moreOptions = null)
    {
        var key = Key(model);
        var graph = Path.Combine(Folder, key + ".onnx");
        var data = Path.Combine(Folder, key + ".data");
        if (File.Exists(graph))
        {
            if (TryOpenEntry(graph, options) is { } cached)
            {
                return cached;
            }

            options.GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL;
        }

        // No lock: another process is writing this entry, or the folder cannot be written (a read-only models mount);
        // either way the session is optimized in memory, as without a cache.
        using var writer = TryLock(key);
        if (writer is null)
        {
            return fresh(options, null);
        }

        var temporary = Directory.CreateDirectory(Path.Combine(Folder, $"{key}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}")).FullName;
        try
        {
            options.OptimizedModelFilePath = Path.Combine(temporary, key + ".onnx");
            options.AddSessionConfigEntry(ExternalFileKey, key + ".data");
            options.AddSessionConfigEntry(ExternalMinSizeKey, "1024");
            // Lean cold start: a graph computed in float32 from narrower weights is optimized from its widened form,
            // written into this entry's private folder, so no fp16 copy stays resident beside the float32 weights.
            string? widenedFolder = null;
            if (model.Widened is { } widened)
            {
                try
                {
                    widened.Write(temporary);
                    widenedFolder = temporary;
                }
                catch (IOException)
                {
                    // No room for the float32 copy: the graph's own form still works, at the old peak.
                }
            }

            BeforeOptimizing?.Invoke(temporary);
            InferenceSession session;
            try
            {
                session = fresh(options, widenedFolder);
            }
            catch (OnnxRuntimeException ex) when (ex.Message.Contains(temporary, StringComparison.Ordinal))
            {
                // ONNX Runtime writes the optimized graph while it creates the session, so a disk that fills up fails
                // the session itself ("Failed to write external initializers to file: <entry folder>/…"). Saving is an
                // optimization: create it once more without saving. Only a failure naming the entry's folder is one of
                // saving; any other (a graph that cannot be built, memory) is thrown at once rather than optimized again.
                if (moreOptions is null)
                {
                    options.OptimizedModelFilePath = string.Empty;
                    return fresh(options, widenedFolder);
                }

                using var unsaved = moreOptions();
                return fresh(unsaved, widenedFolder);
            }

            try
            {
                var written = Path.Combine(temporary, key + ".data");
                if (File.Exists(written))
                {
                    File.Move(written, data, overwrite: true);
                }

                File.Move(options.OptimizedModelFilePath, graph, overwrite: true);
            }
            catch (IOException)
            {
                // Saving is an optimization: a full disk leaves the session as good as it is.
                return session;
            }

            return moreOptions is null ? session : Reopen(session, graph, moreOptions, fresh);
        }
        finally
        {
            try
            {
                Directory.Delete(temporary, recursive: true);
            }
            catch (IOException)
            {
                // Windows keeps a file the session still maps; the entry is saved, the folder is only left behind.
            }
        }
    }

    /// <summary>
    /// The optimizing session holds every weight on the heap in float32, while the entry it saved maps them from
    /// disk; keeping both would hold the weights twice. So it is closed first and the entry
    /// opened as a warm start would — the run then needs no more than a warm start's memory. An entry that does not
    /// open is deleted and the graph optimized in memory once more.
    /// </summary>
    private static InferenceSession Reopen(InferenceSession optimizing, string graph, Func<SessionOptions> moreOptions, Func<SessionOptions, string?, InferenceSession> fresh)
    {
        optimizing.Dispose();
        NativeHeap.ReturnFreeMemory();
        using var options = moreOptions();
        if (TryOpenEntry(graph, options) is { } reopened)
        {
            return reopened;
        }

        using var again = moreOptions();
        return fresh(again, null);
    }

    /// <summary>
    /// A session on a saved entry: optimizations off (the entry holds their result), the graph read into memory without
    /// its inputs' shapes (<see cref="ShapelessInputs"/>: a third of the start-up time), the weights mapped from beside it.
    /// A damaged entry (a disk that filled up, a file removed or cut short by hand) is deleted, and null returned so the
    /// caller optimizes again.
    /// </summary>
    private static InferenceSession? TryOpenEntry(string graph, SessionOptions options)
    {
        try
        {
            options.GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL;
            options.AddSessionConfigEntry(OnnxNetwork.ExternalDataFolderKey, Path.GetDirectoryName(graph)!);
            return new InferenceSession(ShapelessInputs.Strip(File.ReadAllBytes(graph)), options);
        }
        catch (Exception ex) when (ex is OnnxRuntimeException or InvalidDataException)
        {
            File.Delete(graph);
            return null;
        }
    }

    private FileStream? TryLock(string key)
    {
        try
        {
            Directory.CreateDirectory(Folder);
            return new FileStream(Path.Combine(Folder, key + ".lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
