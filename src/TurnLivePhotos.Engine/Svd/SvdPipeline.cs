using System.Numerics.Tensors;
using TurnLivePhotos.Engine.Onnx;
using TurnLivePhotos.Engine.Weights;

namespace TurnLivePhotos.Engine.Svd;

/// <summary>How the pipeline keeps its networks: all loaded between runs, or each one loaded when needed and released after.</summary>
public enum MemoryMode
{
    Auto,
    Fast,
    Low,
}

/// <summary>
/// One generation: the clip and the sampling (diffusers' StableVideoDiffusionPipeline.__call__ arguments; the clip's Seed
/// and target size are not read here — the seed is resolved to <see cref="Seed"/>, the image comes sized) and fixed inputs for tests.
/// </summary>
public sealed record SvdRunOptions
{
    public required ClipOptions Clip { get; init; }

    public required SamplingOptions Sampling { get; init; }

    public ulong Seed { get; init; }

    /// <summary>Where the run's random numbers come from; null uses the engine's generator seeded with <see cref="Seed"/>.</summary>
    public INoiseSource? Noise { get; init; }
}

/// <summary>What a run produced: frames (F, 3, H, W) in [0, 1], plus the conditioning and latents for inspection.</summary>
public sealed record SvdResult(FloatTensor Frames, FloatTensor FinalLatents, FloatTensor ImageEmbeddings, FloatTensor ImageLatents);

/// <summary>
/// Stable Video Diffusion image-to-video, exactly the diffusers algorithm: CLIP embedding of the photo, VAE
/// latent of the noise-augmented photo, classifier-free guidance with zero conditioning and per-frame guidance
/// linspace(min, max), added time ids [fps − 1, motion bucket, noise aug], Karras-Euler v-prediction loop (or
/// AnimateLCM's few-step sampler, <see cref="Sampler"/>), chunked temporal decoding. The networks run on ONNX
/// Runtime; the scheduler and guidance math run here on float arrays.
/// </summary>
public sealed class SvdPipeline : IDisposable
{
    private readonly SvdModelFolder folder;
    private readonly NetworkMemory memory;
    private readonly ClipVisionModel.Config clipConfig;
    private readonly UNetSpatioTemporalConditionModel.Config unetConfig;
    private readonly AutoencoderKLTemporalDecoder.Config vaeConfig;
    private readonly EulerSchedulerConfig schedulerConfig;
    private readonly AnimateLcmSchedulerConfig animateLcmConfig;
    private readonly SvdPreprocessing.ClipNormalization normalization;
    private readonly Precision precision;
    private readonly AttentionKernel attention;

    /// <param name="animateLcm">The AnimateLCM sampler's arguments; null takes the authors' demo values.</param>
    public SvdPipeline(SvdModelFolder folder, Func<Microsoft.ML.OnnxRuntime.SessionOptions> sessionOptions, MemoryMode memoryMode, Precision precision = Precision.Float32, AttentionKernel attention = AttentionKernel.Fused, AnimateLcmSchedulerConfig? animateLcm = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        this.folder = folder;
        memory = new NetworkMemory(memoryMode, sessionOptions, Metrics);
        this.precision = precision;
        this.attention = attention;
        clipConfig = ClipVisionModel.Config.From(folder.LoadConfig(folder.ImageEncoder.Config));
        unetConfig = UNetSpatioTemporalConditionModel.Config.From(folder.LoadConfig(folder.Unet.Config));
        vaeConfig = AutoencoderKLTemporalDecoder.Config.From(folder.LoadConfig(folder.Vae.Config));
        schedulerConfig = EulerSchedulerConfig.Parse(folder.ReadText(folder.SchedulerConfig));
        animateLcmConfig = animateLcm ?? new AnimateLcmSchedulerConfig();
        normalization = SvdPreprocessing.ClipNormalization.Parse(folder.ReadText(folder.FeatureExtractorConfig));
    }

    /// <summary>
    /// A pipeline on a model folder, on the device asked for (falling back to the CPU with a warning): the configs
    /// are read, no network is loaded yet. For callers outside the engine (benchmarks) that need no more than this.
    /// </summary>
    /// <param name="graphCacheFolder">Where to keep optimized graphs between starts; null for none.</param>
    public static SvdPipeline Open(string modelFolder, string? variant, ExecutionDevice device, MemoryMode memoryMode, Microsoft.Extensions.Logging.ILogger logger, string? graphCacheFolder = null)
    {
        var execution = ExecutionProviders.Choose(device, logger);
        return new SvdPipeline(SvdModelFolder.Open(modelFolder, variant), execution.CreateOptions, memoryMode, execution.Precision, execution.Attention)
        {
            Device = execution.Device,
            GraphCache = graphCacheFolder is null ? null : execution.GraphCache(graphCacheFolder),
        };
    }

    public SvdModelFolder Folder => folder;

    /// <summary>Where optimized graphs are kept between starts (warm starts); null optimizes on every load.</summary>
    public OptimizedModelCache? GraphCache { get => memory.GraphCache; init => memory.GraphCache = value; }

    /// <summary>Where the networks run (for a pipeline from <see cref="Open"/>; CPU unless told).</summary>
    public ExecutionDevice Device { get; private init; } = ExecutionDevice.Cpu;

    public Precision Precision => precision;

    /// <summary>Image sides must be multiples of this: the VAE's downsampling times the UNet's.</summary>
    public int Stride => vaeConfig.DownsamplingFactor * unetConfig.DownsamplingFactor;

    /// <summary>The pipeline's counters (UNet evaluations and calls, load and network times), read with a MeterListener.</summary>
    public SvdPipelineMetrics Metrics { get; } = new();

    /// <param name="image">(1, 3, H, W) in [-1, 1]; H and W multiples of <see cref="Stride"/>.</param>
    public SvdResult Run(FloatTensor image, SvdRunOptions options, IProgress<MotionProgress>? progress, CancellationToken cancellationToken, Action<int, FloatTensor>? afterStep = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(options);
        var height = (int)image.Shape[2];
        var width = (int)image.Shape[3];
        if (height % Stride != 0 || width % Stride != 0)
        {
            throw new EngineException($"size {width}x{height} cannot be generated: the UNet takes sides that are multiples of {Stride} (e.g. {width / Stride * Stride}x{height / Stride * Stride})");
        }

        var noise = options.Noise ?? new GaussianNoise(options.Seed);
        var (clip, sampling) = (options.Clip, options.Sampling);
        var frames = clip.Frames;

        // Per-frame guidance: torch.linspace(min, max, F) in float32. Classifier-free guidance doubles the UNet's batch
        // with an unconditional half; when no frame's scale exceeds 1 that half cannot change the result
        // (u + 1·(c − u) = c), so it is left out and the UNet runs on the conditional half only — diffusers decides
        // the same from max_guidance_scale > 1. Rows are [unconditional; conditional] with guidance, [conditional] without.
        var guidance = Linspace((float)sampling.MinGuidanceScale, (float)sampling.MaxGuidanceScale, frames);
        var guided = guidance.Max() > 1f;
        var batch = guided ? 2 : 1;

        // 1. CLIP embedding (classifier-free guidance: zeros for the unconditional half).
        progress?.Report(new MotionProgress("encode", 0, 2));
        var embeds = memory.Use($"clip-input-{height}x{width}", () => SvdPreprocessing.BuildClipInput(height, width, clipConfig.ImageSize, normalization), null,
            clip => Infer(clip, "clip-input", new Dictionary<string, FloatTensor> { ["image"] = image }, cancellationToken)["pixel_values"]);
        embeds = memory.Use("image_encoder", () => ClipVisionModel.Build(Weights(folder.ImageEncoder.Weights, SvdNetwork.ImageEncoder), clipConfig, precision, attention), folder.ImageEncoder.Weights,
            encoder => Infer(encoder, "image_encoder", new Dictionary<string, FloatTensor> { ["pixel_values"] = embeds }, cancellationToken)["image_embeds"]);
        var embedDim = embeds.Data.Length;
        var context = new FloatTensor([.. new float[(batch - 1) * embedDim], .. embeds.Data], [batch, 1, embedDim]);
        progress?.Report(new MotionProgress("encode", 1, 2));

        // 2. VAE latent (posterior mean) of the noise-augmented image; zeros for the unconditional half; repeated per frame.
        var augmentation = new FloatTensor(noise.Next(image.ElementCount), image.Shape);
        var augmented = SvdPreprocessing.AddNoise(image, augmentation, sampling.NoiseAugStrength);
        var mean = memory.Use("vae_encoder", () => AutoencoderKLTemporalDecoder.BuildEncoder(Weights(folder.Vae.Weights, SvdNetwork.Vae), vaeConfig, attention: attention), folder.Vae.Weights,
            encoder => Infer(encoder, "vae_encoder", new Dictionary<string, FloatTensor> { ["image"] = augmented }, cancellationToken)["mean"]);
        progress?.Report(new MotionProgress("encode", 2, 2));
        cancellationToken.ThrowIfCancellationRequested();

        var latentChannels = (int)mean.Shape[1];
        var latentPlane = mean.Data.Length / latentChannels;
        var frameSize = latentChannels * latentPlane;

        // 3. Added time ids [fps − 1, motion bucket, noise aug], the same for both halves.
        float[] ids = [clip.Fps - 1, clip.MotionBucketId, (float)sampling.NoiseAugStrength];
        var addedTimeIds = new FloatTensor([.. Enumerable.Repeat(ids, batch).SelectMany(row => row)], [batch, 3]);

        // 4. Schedule and starting latents.
        IDenoisingScheduler scheduler = sampling.Sampler switch
        {
            Sampler.AnimateLcm => new AnimateLcmScheduler(animateLcmConfig),
            _ => new EulerDiscreteScheduler(schedulerConfig),
        };
        scheduler.SetTimesteps(sampling.InferenceSteps);
        long[] latentShape = [1, frames, latentChannels, mean.Shape[2], mean.Shape[3]];
        var latents = noise.Next(frames * frameSize);
        TensorPrimitives.Multiply(latents, scheduler.InitNoiseSigma, latents);

        // 5. Denoising loop.
        var unetInput = new float[batch * frames * 2 * frameSize];
        FillImageLatents(unetInput, mean.Data, batch, frames, frameSize);
        var scaled = new float[latents.Length];
        var noisePrediction = new float[latents.Length];
        memory.Use($"unet-{frames}", () => UNetSpatioTemporalConditionModel.Build(Weights(folder.Unet.Weights, SvdNetwork.Unet), unetConfig, frames, precision, attention: attention), folder.Unet.Weights, unet =>
        {
            for (var step = 0; step < scheduler.StepCount; step++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                scheduler.ScaleModelInput(latents, step, scaled);
                FillNoisyLatents(unetInput, scaled, batch, frames, frameSize);
                var output = Denoise(unet, unetInput, [batch, frames, 2 * latentChannels, mean.Shape[2], mean.Shape[3]], scheduler.Timesteps[step], context, addedTimeIds, cancellationToken);
                Metrics.UNetEvaluations.Add(batch);
                if (guided)
                {
                    Guide(output.Data, guidance, frameSize, noisePrediction);
                }
                else
                {
                    output.Data.CopyTo(noisePrediction, 0);
                }

                scheduler.Step(noisePrediction, step, latents, noise);
                afterStep?.Invoke(step, new FloatTensor(latents.ToArray(), latentShape));
                progress?.Report(new MotionProgress("denoise", step + 1, scheduler.StepCount));
            }

            return latents;
        });

        // 6. Decode in chunks; the temporal layers only mix frames within a chunk, as in diffusers.
        var decodedFrames = Decode(latents, frames, frameSize, latentShape, sampling.DecodeChunkSize ?? memory.DecodeChunk(frames), progress, cancellationToken);
        return new SvdResult(decodedFrames, new FloatTensor(latents, latentShape), context, new FloatTensor([.. new float[(batch - 1) * mean.Data.Length], .. mean.Data], [batch, .. mean.Shape[1..]]));
    }

    public void Dispose()
    {
        memory.Dispose();
        Metrics.Dispose();
    }

    /// <summary>torch.linspace in float32: the first half counts up from start, the second half down from end.</summary>
    public static float[] Linspace(float start, float end, int count)
    {
        if (count == 1)
        {
            return [start];
        }

        var step = (end - start) / (count - 1);
        return Enumerable.Range(0, count).Select(i => i < count / 2 ? start + (step * i) : end - (step * (count - 1 - i))).ToArray();
    }

    private FloatTensor Decode(float[] latents, int frames, int frameSize, long[] latentShape, int chunkSize, IProgress<MotionProgress>? progress, CancellationToken cancellationToken)
    {
        var scaledLatents = new float[latents.Length];
        TensorPrimitives.Multiply(latents, (float)(1.0 / vaeConfig.ScalingFactor), scaledLatents);
        var chunks = (frames + chunkSize - 1) / chunkSize;
        var pieces = new List<float[]>();
        long[]? frameShape = null;
        for (var chunk = 0; chunk < chunks; chunk++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var first = chunk * chunkSize;
            var count = Math.Min(chunkSize, frames - first);
            var input = new FloatTensor(scaledLatents[(first * frameSize)..((first + count) * frameSize)], [count, .. latentShape[2..]]);
            var decoded = memory.Use($"vae_decoder-{count}", () => AutoencoderKLTemporalDecoder.BuildDecoder(Weights(folder.Vae.Weights, SvdNetwork.Vae), vaeConfig, count, precision, attention), folder.Vae.Weights,
                decoder => Infer(decoder, "vae_decoder", new Dictionary<string, FloatTensor> { ["latents"] = input }, cancellationToken)["sample"]);
            frameShape = decoded.Shape[1..];
            pieces.Add(decoded.Data);
            progress?.Report(new MotionProgress("decode", chunk + 1, chunks));
        }

        // Postprocess: clamp(x / 2 + 0.5, 0, 1).
        var all = pieces.SelectMany(piece => piece).ToArray();
        TensorPrimitives.Divide(all, 2f, all);
        TensorPrimitives.Add(all, 0.5f, all);
        TensorPrimitives.Clamp(all, 0f, 1f, all);
        return new FloatTensor(all, [frames, .. frameShape!]);
    }

    /// <summary>One UNet evaluation of every batch row (the guidance halves), all at once or a row at a time as <see cref="NetworkMemory.ByRows"/> decides.</summary>
    private FloatTensor Denoise(OnnxNetwork unet, float[] sample, long[] sampleShape, float timestep, FloatTensor context, FloatTensor addedTimeIds, CancellationToken cancellationToken)
    {
        var rowSize = sample.Length / (int)sampleShape[0];
        return memory.ByRows((int)sampleShape[0], (first, count) =>
        {
            Metrics.UNetCalls.Add(1);
            return Infer(unet, "unet", new Dictionary<string, FloatTensor>
            {
                ["sample"] = new(sample[(first * rowSize)..((first + count) * rowSize)], [count, .. sampleShape[1..]]),
                ["timestep"] = new([timestep], [1]),
                ["encoder_hidden_states"] = Rows(context, first, count),
                ["added_time_ids"] = Rows(addedTimeIds, first, count),
            }, cancellationToken)["out_sample"];
        });

        static FloatTensor Rows(FloatTensor tensor, int first, int count)
        {
            var size = tensor.Data.Length / (int)tensor.Shape[0];
            return count == tensor.Shape[0] ? tensor : new FloatTensor(tensor.Data[(first * size)..((first + count) * size)], [count, .. tensor.Shape[1..]]);
        }
    }

    /// <summary>noise = uncond + g_f · (cond − uncond), frame by frame.</summary>
    private static void Guide(float[] output, float[] guidance, int frameSize, float[] destination)
    {
        var half = destination.Length;
        var uncond = output.AsSpan(0, half);
        var cond = output.AsSpan(half, half);
        TensorPrimitives.Subtract(cond, uncond, destination);
        for (var f = 0; f < guidance.Length; f++)
        {
            var slice = destination.AsSpan(f * frameSize, frameSize);
            TensorPrimitives.Multiply(slice, guidance[f], slice);
        }

        TensorPrimitives.Add(uncond, destination, destination);
    }

    /// <summary>Image latents go in channels [latent, 2·latent) of every frame: zeros for the unconditional half, the mean for the conditional (last) one.</summary>
    private static void FillImageLatents(float[] unetInput, float[] mean, int batch, int frames, int frameSize)
    {
        var conditional = batch - 1;
        for (var f = 0; f < frames; f++)
        {
            mean.CopyTo(unetInput.AsSpan(((((conditional * frames) + f) * 2) + 1) * frameSize, frameSize));
        }
    }

    /// <summary>The scaled latents go in channels [0, latent) of every frame, identical for every row.</summary>
    private static void FillNoisyLatents(float[] unetInput, float[] scaled, int batch, int frames, int frameSize)
    {
        for (var half = 0; half < batch; half++)
        {
            for (var f = 0; f < frames; f++)
            {
                scaled.AsSpan(f * frameSize, frameSize).CopyTo(unetInput.AsSpan(((half * frames) + f) * 2 * frameSize, frameSize));
            }
        }
    }

    private IReadOnlyDictionary<string, FloatTensor> Infer(OnnxNetwork network, string key, Dictionary<string, FloatTensor> inputs, CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            return network.Run(inputs, cancellationToken);
        }
        finally
        {
            Metrics.Ran(key, clock.Elapsed);
        }
    }

    /// <summary>A network's weights: its own checkpoint in a diffusers folder, or its part of a single-file Stability checkpoint.</summary>
    private IWeightSource Weights(string path, SvdNetwork network)
    {
        var open = memory.WeightFile(path, file => folder.SingleFile is not null ? StabilityCheckpoint.Open(file) : Checkpoint.Open(file));
        return open is StabilityCheckpoint single ? single.For(network, unetConfig, vaeConfig) : (Checkpoint)open;
    }
}
