using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace TurnLivePhotos.Engine.Svd;

/// <summary>[ModelOptions] Device.</summary>
public enum ExecutionDevice
{
    Auto,
    Cpu,
    Cuda,
    TensorRT,
    DirectML,
    CoreML,
}

/// <summary>Where the networks will run, as decided once at start: the device, and whether graphs are built in fp16.</summary>
public sealed record ExecutionChoice(ExecutionDevice Device, bool IsGpu, Func<SessionOptions> CreateOptions)
{
    public Onnx.Precision Precision => IsGpu ? Onnx.Precision.Float16 : Onnx.Precision.Float32;

    /// <summary>
    /// CPU, CUDA (also under TensorRT) and DirectML have kernels for the fused MultiHeadAttention contrib op. CoreML
    /// has none: ONNX Runtime would run those nodes on the CPU between CoreML partitions, so the graph uses plain
    /// ops with query chunking instead and stays on the device.
    /// </summary>
    public Onnx.AttentionKernel Attention => Device == ExecutionDevice.CoreML ? Onnx.AttentionKernel.Chunked : Onnx.AttentionKernel.Fused;

    /// <summary>A graph cache in <paramref name="folder"/> for the networks built for this choice (device, precision and kernel are in every key).</summary>
    public Onnx.OptimizedModelCache GraphCache(string folder) => new(folder, $"{Device}/{Precision}/{Attention}");
}

/// <summary>
/// Picks an ONNX Runtime execution provider. Which ones exist depends on the runtime package the build shipped
/// (-p:OnnxRuntimeFlavor=Gpu brings CUDA and TensorRT); "auto" takes the best available. A provider that cannot
/// be loaded (missing driver, library or device) falls back to the CPU with a warning instead of failing.
/// </summary>
public static class ExecutionProviders
{
    private static readonly (ExecutionDevice Device, string Provider)[] Preference =
    [
        (ExecutionDevice.TensorRT, "TensorrtExecutionProvider"),
        (ExecutionDevice.Cuda, "CUDAExecutionProvider"),
        (ExecutionDevice.DirectML, "DmlExecutionProvider"),
        (ExecutionDevice.CoreML, "CoreMLExecutionProvider"),
    ];

    /// <param name="gpuMemoryLimitBytes">
    /// The CUDA provider's arena limit (the --max-split-size-mb of the Python tool this replaces, which capped PyTorch's CUDA allocator): ONNX
    /// Runtime's gpu_mem_limit, with an arena that grows by what each request needs (kSameAsRequested) instead of
    /// doubling (kNextPowerOfTwo, the default, which can overshoot a small card by half its memory). Null: no limit.
    /// </param>
    public static ExecutionChoice Choose(ExecutionDevice requested, ILogger logger, long? gpuMemoryLimitBytes = null)
    {
        ArgumentNullException.ThrowIfNull(logger);
        var available = OrtEnv.Instance().GetAvailableProviders();
        var device = requested;
        if (requested == ExecutionDevice.Auto)
        {
            device = Preference.Where(p => available.Contains(p.Provider)).Select(p => p.Device).DefaultIfEmpty(ExecutionDevice.Cpu).First();
            logger.LogInformation("Execution device: {Device} (auto; this build offers {Providers})", device, string.Join(", ", available));
        }

        if (device == ExecutionDevice.Cpu)
        {
            return Cpu();
        }

        try
        {
            // Probe once, so a provider that cannot load is found here and not in the middle of a job.
            using var probe = new SessionOptions();
            Append(probe, device, gpuMemoryLimitBytes);
            return new ExecutionChoice(device, IsGpu: true, () =>
            {
                // Nodes a GPU provider leaves to the CPU run on the same threads as a CPU session's.
                var options = Onnx.CpuThreads.Options();
                Append(options, device, gpuMemoryLimitBytes);
                return options;
            });
        }
        catch (Exception ex) when (ex is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException or NotSupportedException)
        {
            logger.LogWarning("Execution device {Device} is not available here ({Reason}); running on the CPU instead", device, ex.Message.Split('\n')[0]);
            return Cpu();
        }
    }

    /// <summary>Whether <paramref name="requested"/> would run on the CUDA provider in this build (where a GPU memory limit applies).</summary>
    public static bool UsesCudaArena(ExecutionDevice requested) => requested switch
    {
        ExecutionDevice.Cuda or ExecutionDevice.TensorRT => true,
        ExecutionDevice.Auto => OrtEnv.Instance().GetAvailableProviders().Contains("CUDAExecutionProvider"),
        _ => false,
    };

    /// <summary>The CUDA provider's options for a memory limit (device 0).</summary>
    public static IReadOnlyDictionary<string, string> CudaProviderOptions(long? gpuMemoryLimitBytes) =>
        gpuMemoryLimitBytes is { } limit
            ? new Dictionary<string, string>
            {
                ["device_id"] = "0",
                ["gpu_mem_limit"] = limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["arena_extend_strategy"] = "kSameAsRequested",
            }
            : new Dictionary<string, string> { ["device_id"] = "0" };

    /// <summary>CPU sessions: every core, ONNX Runtime's arena for activations (released after each run, see <see cref="Onnx.CpuThreads"/>).</summary>
    private static ExecutionChoice Cpu() => new(ExecutionDevice.Cpu, IsGpu: false, () => Onnx.CpuThreads.Options());

    private static void Append(SessionOptions options, ExecutionDevice device, long? gpuMemoryLimitBytes)
    {
        switch (device)
        {
            case ExecutionDevice.TensorRT:
                options.AppendExecutionProvider_Tensorrt(0);
                AppendCuda(options, gpuMemoryLimitBytes);
                break;
            case ExecutionDevice.Cuda:
                AppendCuda(options, gpuMemoryLimitBytes);
                break;
            case ExecutionDevice.DirectML:
                options.AppendExecutionProvider_DML(0);
                break;
            case ExecutionDevice.CoreML:
                options.AppendExecutionProvider_CoreML(CoreMLFlags.COREML_FLAG_USE_NONE);
                break;
        }
    }

    private static void AppendCuda(SessionOptions options, long? gpuMemoryLimitBytes)
    {
        using var cuda = new OrtCUDAProviderOptions();
        cuda.UpdateOptions(new Dictionary<string, string>(CudaProviderOptions(gpuMemoryLimitBytes)));
        options.AppendExecutionProvider_CUDA(cuda);
    }
}
