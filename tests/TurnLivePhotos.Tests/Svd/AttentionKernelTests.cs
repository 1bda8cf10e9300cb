using TurnLivePhotos.Engine.Onnx;
using TurnLivePhotos.Engine.Svd;
using TurnLivePhotos.Engine.Weights;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Svd;

/// <summary>Both attention kernels compute softmax(q kᵀ · scale) v, and the networks built on the chunked one still reproduce the references.</summary>
public sealed class AttentionKernelTests
{
    private const int Batch = 2;
    private const int Heads = 3;
    private const int HeadDim = 8;
    private const int QueryTokens = 37;
    private const int KeyTokens = 23;
    private const float Scale = 0.35f;

    public static TheoryData<string> Sets => FixtureSets.All;

    [Fact]
    public void The_fused_op_computes_attention_on_batch_tokens_channels_tensors()
    {
        var (q, k, v) = RandomInputs();
        var g = new GraphBuilder(weights: null);
        var attended = g.MultiHeadAttention(
            g.Input("q", null, null, Heads * HeadDim), g.Input("k", null, null, Heads * HeadDim), g.Input("v", null, null, Heads * HeadDim), Heads, Scale);
        g.Output(attended, "out");

        using var network = OnnxNetwork.Create(g.Build("fused"));
        var output = network.Run(new Dictionary<string, FloatTensor>
        {
            ["q"] = new(q, [Batch, QueryTokens, Heads * HeadDim]),
            ["k"] = new(k, [Batch, KeyTokens, Heads * HeadDim]),
            ["v"] = new(v, [Batch, KeyTokens, Heads * HeadDim]),
        })["out"];

        Assert.Equal([Batch, QueryTokens, Heads * HeadDim], output.Shape);
        FixtureSets.AssertClose(new FloatTensor(Reference(q, k, v, headsLast: true), output.Shape), output, 1e-5, "fused attention");
    }

    /// <param name="scoreElements">Budgets that give one block, blocks of 7 rows with 5 padded rows, and blocks of one row.</param>
    [Theory]
    [InlineData(1L << 20)]
    [InlineData(7L * Batch * Heads * KeyTokens)]
    [InlineData(1L)]
    public void The_chunked_loop_computes_attention_whatever_the_block_count(long scoreElements)
    {
        var (q, k, v) = RandomInputs();
        var g = new GraphBuilder(weights: null, attention: AttentionKernel.Chunked);
        var attended = g.ChunkedAttention(g.Input("q", null, Heads, null, HeadDim), g.Input("k", null, Heads, null, HeadDim), g.Input("v", null, Heads, null, HeadDim), Scale, scoreElements);
        g.Output(attended, "out");

        using var network = OnnxNetwork.Create(g.Build("chunked"));
        var output = network.Run(new Dictionary<string, FloatTensor>
        {
            ["q"] = new(q, [Batch, Heads, QueryTokens, HeadDim]),
            ["k"] = new(k, [Batch, Heads, KeyTokens, HeadDim]),
            ["v"] = new(v, [Batch, Heads, KeyTokens, HeadDim]),
        })["out"];

        Assert.Equal([Batch, Heads, QueryTokens, HeadDim], output.Shape);
        FixtureSets.AssertClose(new FloatTensor(Reference(q, k, v, headsLast: false), output.Shape), output, 1e-5, $"chunked attention, {scoreElements} score elements");
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void The_unet_on_chunked_attention_reproduces_diffusers(string set)
    {
        var folder = FixtureSets.Folder(set, "unet");
        using var weights = Checkpoint.Open(Path.Combine(folder, "weights.safetensors"));
        using var io = Checkpoint.Open(Path.Combine(folder, "io.safetensors"));
        var config = UNetSpatioTemporalConditionModel.Config.From(ModelConfig.Load(Path.Combine(folder, "config.json")));

        using var unet = OnnxNetwork.Create(UNetSpatioTemporalConditionModel.Build(weights, config, (int)io["sample"].Shape[1], attention: AttentionKernel.Chunked));
        var outputs = unet.Run(new Dictionary<string, FloatTensor>
        {
            ["sample"] = FixtureSets.Read(io, "sample"),
            ["timestep"] = FixtureSets.Read(io, "timestep"),
            ["encoder_hidden_states"] = FixtureSets.Read(io, "encoder_hidden_states"),
            ["added_time_ids"] = FixtureSets.Read(io, "added_time_ids"),
        });

        FixtureSets.AssertClose(FixtureSets.Read(io, "out_sample"), outputs["out_sample"], 1e-4, "out_sample (chunked attention)");
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void The_image_encoder_on_chunked_attention_reproduces_transformers(string set)
    {
        var folder = FixtureSets.Folder(set, "clip_vision");
        using var weights = Checkpoint.Open(Path.Combine(folder, "weights.safetensors"));
        using var io = Checkpoint.Open(Path.Combine(folder, "io.safetensors"));
        var config = ClipVisionModel.Config.From(ModelConfig.Load(Path.Combine(folder, "config.json")));

        using var network = OnnxNetwork.Create(ClipVisionModel.Build(weights, config, attention: AttentionKernel.Chunked));
        var outputs = network.Run(new Dictionary<string, FloatTensor> { ["pixel_values"] = FixtureSets.Read(io, "pixel_values") });

        FixtureSets.AssertClose(FixtureSets.Read(io, "last_hidden_state"), outputs["last_hidden_state"], 1e-4, "last_hidden_state (chunked attention)");
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void The_vae_on_chunked_attention_reproduces_diffusers(string set)
    {
        var folder = FixtureSets.Folder(set, "vae");
        using var weights = Checkpoint.Open(Path.Combine(folder, "weights.safetensors"));
        using var io = Checkpoint.Open(Path.Combine(folder, "io.safetensors"));
        var config = AutoencoderKLTemporalDecoder.Config.From(ModelConfig.Load(Path.Combine(folder, "config.json")));

        using var encoder = OnnxNetwork.Create(AutoencoderKLTemporalDecoder.BuildEncoder(weights, config, attention: AttentionKernel.Chunked));
        var mean = encoder.Run(new Dictionary<string, FloatTensor> { ["image"] = FixtureSets.Read(io, "encode.input") })["mean"];
        FixtureSets.AssertClose(FixtureSets.Read(io, "encode.mean"), mean, 1e-4, "encode.mean (chunked attention)");

        var frames = (int)io.ReadFloat32("decode.num_frames")[0];
        using var decoder = OnnxNetwork.Create(AutoencoderKLTemporalDecoder.BuildDecoder(weights, config, frames, attention: AttentionKernel.Chunked));
        var sample = decoder.Run(new Dictionary<string, FloatTensor> { ["latents"] = FixtureSets.Read(io, "decode.z") })["sample"];
        FixtureSets.AssertClose(FixtureSets.Read(io, "decode.sample"), sample, 1e-4, "decode.sample (chunked attention)");
    }

    private static (float[] Q, float[] K, float[] V) RandomInputs()
    {
        var random = new Random(12);
        float[] Next(int count) => Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 4) - 2)).ToArray();
        return (Next(Batch * QueryTokens * Heads * HeadDim), Next(Batch * KeyTokens * Heads * HeadDim), Next(Batch * KeyTokens * Heads * HeadDim));
    }

    /// <summary>Attention in float64, over (B, T, H, D) inputs when <paramref name="headsLast"/>, else (B, H, T, D); output in the same layout.</summary>
    private static float[] Reference(float[] q, float[] k, float[] v, bool headsLast)
    {
        int Index(int b, int h, int t, int d, int tokens) => headsLast
            ? (((((b * tokens) + t) * Heads) + h) * HeadDim) + d
            : (((((b * Heads) + h) * tokens) + t) * HeadDim) + d;

        var output = new float[q.Length];
        var scores = new double[KeyTokens];
        for (var b = 0; b < Batch; b++)
        {
            for (var h = 0; h < Heads; h++)
            {
                for (var t = 0; t < QueryTokens; t++)
                {
                    for (var s = 0; s < KeyTokens; s++)
                    {
                        scores[s] = Enumerable.Range(0, HeadDim).Sum(d => (double)q[Index(b, h, t, d, QueryTokens)] * k[Index(b, h, s, d, KeyTokens)]) * Scale;
                    }

                    var max = scores.Max();
                    var weights = scores.Select(score => Math.Exp(score - max)).ToArray();
                    var total = weights.Sum();
                    for (var d = 0; d < HeadDim; d++)
                    {
                        output[Index(b, h, t, d, QueryTokens)] = (float)(Enumerable.Range(0, KeyTokens).Sum(s => weights[s] * v[Index(b, h, s, d, KeyTokens)]) / total);
                    }
                }
            }
        }

        return output;
    }
}
