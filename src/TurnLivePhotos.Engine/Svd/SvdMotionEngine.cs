using System.Security.Cryptography;
using ImageMagick;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using TurnLivePhotos.Engine.Onnx;
using TurnLivePhotos.Engine.Weights;
using TurnLivePhotos.Media.Imaging;

namespace TurnLivePhotos.Engine.Svd;

/// <summary>
/// Where the SVD model is and how to run it ([ModelOptions] ModelName under ModelsHome, Variant, Device, MemoryMode,
/// GpuMemoryLimitMb, UNetWeights: a weight file used instead of the folder's UNet weights, e.g. AnimateLCM-SVD-xt's;
/// [StoreOptions] GraphCache: where optimized networks are kept between starts, null for nowhere).
/// </summary>
public sealed record SvdEngineOptions(string ModelFolder, string? Variant = "fp16", ExecutionDevice Device = ExecutionDevice.Auto, MemoryMode MemoryMode = MemoryMode.Auto, long? GpuMemoryLimitBytes = null, string? UNetWeights = null, string? GraphCache = null);

/// <summary>
/// The AI engine: Stable Video Diffusion (img2vid, img2vid-xt, img2vid-xt-1-1) from a diffusers model folder, on
/// ONNX Runtime. The photo is cropped to its generation size (own aspect ratio, sides multiples of the model's
/// stride), the pipeline runs, and the frames come back as images. Without a seed, a random one is drawn.
/// </summary>
public sealed class SvdMotionEngine(SvdEngineOptions options, ILogger<SvdMotionEngine> logger) : IMotionEngine, IDisposable
{
    public const string EngineName = "svd";

    private readonly Lock gate = new();
    private ExecutionChoice? execution;
    private SvdPipeline? pipeline;

    public string Name => EngineName;

    public bool IsGenerative => true;

    public SvdEngineOptions Options => options;

    public Task<MotionClip> GenerateAsync(MotionRequest request, IProgress<MotionProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Task.Run(() => Generate(request, progress, cancellationToken), cancellationToken);
    }

    public void Dispose()
    {
        lock (gate)
        {
            pipeline?.Dispose();
            pipeline = null;
        }
    }

    private MotionClip Generate(MotionRequest request, IProgress<MotionProgress>? progress, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            var (clip, sampling) = (request.Clip, request.Sampling);
            if (sampling.Sampler == Sampler.AnimateLcm && options.UNetWeights is null)
            {
                // The base UNet under the few-step sampler makes a blur, not a clip: refuse it, as the page and the APIs do.
                throw new EngineException("the AnimateLCM sampler needs the UNet distilled for it, and this engine was given none");
            }

            try
            {
                var svd = Pipeline();
                var (width, height) = SvdResolution.For(request.Photo.Width, request.Photo.Height, clip.TargetWidth, clip.TargetHeight, svd.Stride);
                var seed = clip.Seed is { } chosen ? (ulong)chosen : BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
                logger.LogInformation("SVD: {Width}x{Height}, {Frames} frames, {Steps} {Sampler} steps, seed {Seed}", width, height, clip.Frames, sampling.InferenceSteps, sampling.Sampler, seed);

                var image = SvdPreprocessing.ToSignedTensor(CoverCrop(request.Photo, width, height));
                var result = svd.Run(image, new SvdRunOptions { Clip = clip, Sampling = sampling, Seed = seed }, progress, cancellationToken);
                return new MotionClip(ToImages(result.Frames), clip.Fps, EngineName, IsGenerative: true);
            }
            catch (Exception ex) when (IsOutOfMemory(ex))
            {
                // Release every session so the memory comes back and the next job starts clean.
                pipeline?.Dispose();
                pipeline = null;
                throw new EngineOutOfMemoryException("the SVD engine ran out of memory; try fewer frames, a smaller size or MemoryMode=low", ex);
            }
            catch (WeightFileException ex)
            {
                throw new EngineException(ex.Message, ex);
            }
            catch (ArgumentOutOfRangeException ex) when (ex.ParamName == "steps")
            {
                throw new EngineException(ex.Message.Split(" (Parameter")[0], ex);
            }
            catch (OnnxRuntimeException ex)
            {
                throw new EngineException($"ONNX Runtime failed: {ex.Message.Split('\n')[0]}", ex);
            }
        }
    }

    private SvdPipeline Pipeline()
    {
        if (pipeline is not null)
        {
            return pipeline;
        }

        execution ??= ExecutionProviders.Choose(options.Device, logger, options.GpuMemoryLimitBytes);
        var folder = SvdModelFolder.Open(options.ModelFolder, options.Variant);
        if (options.UNetWeights is { } unetWeights)
        {
            folder = folder.WithUNetWeights(unetWeights);
        }

        var mode = options.MemoryMode == MemoryMode.Auto ? ChooseMemoryMode(folder, execution.Precision) : options.MemoryMode;
        logger.LogInformation("SVD model {Folder} on {Device} ({Precision}), memory mode {Mode}", folder.Root, execution.Device, execution.Precision, mode);
        pipeline = new SvdPipeline(folder, execution.CreateOptions, mode, execution.Precision, execution.Attention)
        {
            GraphCache = options.GraphCache is { } cache ? execution.GraphCache(cache) : null,
        };
        return pipeline;
    }

    /// <summary>
    /// Keep every network loaded when their weights, in the precision they compute in (fp16 files widen to float32 on
    /// the CPU), fit three times over in the machine's memory — room for the activations beside them; otherwise
    /// load one at a time (the full-size img2vid-xt's float32 weights on a CPU are in docs/benchmarks.md).
    /// </summary>
    private static MemoryMode ChooseMemoryMode(SvdModelFolder folder, Precision precision)
    {
        var weights = new[] { folder.ImageEncoder.Weights, folder.Unet.Weights, folder.Vae.Weights }.Sum(path =>
        {
            using var checkpoint = Checkpoint.Open(path);
            return checkpoint.Tensors.Values.Sum(tensor => tensor.ElementCount * (precision == Precision.Float32 ? sizeof(float) : WeightTensor.ElementSize(tensor.Type)));
        });
        var available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return available > 3 * weights ? MemoryMode.Fast : MemoryMode.Low;
    }

    private static bool IsOutOfMemory(Exception ex) =>
        ex is OutOfMemoryException
        || (ex is OnnxRuntimeException && (ex.Message.Contains("allocate", StringComparison.OrdinalIgnoreCase) || ex.Message.Contains("bad_alloc", StringComparison.Ordinal)));

    private static RgbImage CoverCrop(RgbImage photo, int width, int height)
    {
        using var image = MagickInterop.ToMagick(photo);
        image.FilterType = FilterType.Lanczos;
        image.Resize(new MagickGeometry((uint)width, (uint)height) { FillArea = true });
        image.Crop((uint)width, (uint)height, Gravity.Center);
        image.ResetPage();
        return MagickInterop.ToRgb(image);
    }

    /// <summary>(F, 3, H, W) in [0, 1] → RGB images, rounding like diffusers' numpy_to_pil.</summary>
    private static List<RgbImage> ToImages(FloatTensor frames)
    {
        var count = (int)frames.Shape[0];
        var height = (int)frames.Shape[2];
        var width = (int)frames.Shape[3];
        var plane = width * height;
        var images = new List<RgbImage>(count);
        for (var f = 0; f < count; f++)
        {
            var pixels = new byte[3 * plane];
            var offset = f * 3 * plane;
            for (var c = 0; c < 3; c++)
            {
                for (var i = 0; i < plane; i++)
                {
                    pixels[(3 * i) + c] = (byte)MathF.Round(frames.Data[offset + (c * plane) + i] * 255f);
                }
            }

            images.Add(new RgbImage(width, height, pixels));
        }

        return images;
    }
}
