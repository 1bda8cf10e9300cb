using System.Text.Json;
using TurnLivePhotos.Engine.Onnx;
using TurnLivePhotos.Engine.Svd;
using TurnLivePhotos.Engine.Weights;
using TurnLivePhotos.Media.Decoding;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Svd;

/// <summary>Both preprocessing paths from input.png, against the pipeline fixture.</summary>
public sealed class PreprocessingTests
{
    public static TheoryData<string> Sets => FixtureSets.All;

    [Theory]
    [MemberData(nameof(Sets))]
    public void The_clip_path_reproduces_the_image_embeddings(string set)
    {
        var pipeline = FixtureSets.Folder(set, "pipeline");
        using var io = Checkpoint.Open(Path.Combine(pipeline, "io.safetensors"));
        var image = SvdPreprocessing.ToSignedTensor(PhotoDecoder.Decode(File.ReadAllBytes(Path.Combine(pipeline, "input.png"))).Image);
        FixtureSets.AssertClose(FixtureSets.Read(io, "clip_resize_input"), image, 1e-6, "clip_resize_input");

        var clipFolder = FixtureSets.Folder(set, "clip_vision");
        var clipConfig = ClipVisionModel.Config.From(ModelConfig.Load(Path.Combine(clipFolder, "config.json")));
        var normalization = SvdPreprocessing.ClipNormalization.Load(Path.Combine(pipeline, "preprocessor_config.json"));
        using var preprocess = OnnxNetwork.Create(SvdPreprocessing.BuildClipInput((int)image.Shape[2], (int)image.Shape[3], clipConfig.ImageSize, normalization));
        var prepared = preprocess.Run(new Dictionary<string, FloatTensor> { ["image"] = image });
        FixtureSets.AssertClose(FixtureSets.Read(io, "clip_resized"), prepared["resized"], 1e-4, "clip_resized");
        FixtureSets.AssertClose(FixtureSets.Read(io, "clip_pixel_values"), prepared["pixel_values"], 1e-4, "clip_pixel_values");

        using var weights = Checkpoint.Open(Path.Combine(clipFolder, "weights.safetensors"));
        using var encoder = OnnxNetwork.Create(ClipVisionModel.Build(weights, clipConfig));
        var embeds = encoder.Run(new Dictionary<string, FloatTensor> { ["pixel_values"] = prepared["pixel_values"] })["image_embeds"];

        var expected = FixtureSets.Read(io, "image_embeddings");            // (2, 1, D): zeros for the unconditional half, then the image
        var conditional = expected.Data[(expected.Data.Length / 2)..];
        Assert.All(expected.Data[..(expected.Data.Length / 2)], value => Assert.Equal(0f, value));
        FixtureSets.AssertClose(new FloatTensor(conditional, [1, conditional.Length]), embeds with { Shape = [1, embeds.Data.Length] }, 1e-4, "image_embeddings");
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void The_anti_aliased_resize_blurs_like_diffusers(string set)
    {
        using var io = Checkpoint.Open(Path.Combine(FixtureSets.Folder(set, "pipeline"), "io.safetensors"));
        var input = FixtureSets.Read(io, "resize_aa.input");
        var expected = FixtureSets.Read(io, "resize_aa.output");
        var normalization = new SvdPreprocessing.ClipNormalization([0, 0, 0], [1, 1, 1]);

        using var resize = OnnxNetwork.Create(SvdPreprocessing.BuildClipInput((int)input.Shape[2], (int)input.Shape[3], (int)expected.Shape[2], normalization));
        var resized = resize.Run(new Dictionary<string, FloatTensor> { ["image"] = input })["resized"];

        FixtureSets.AssertClose(expected, resized, 1e-4, "resize_aa.output");
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void The_vae_path_reproduces_the_image_latents(string set)
    {
        var pipeline = FixtureSets.Folder(set, "pipeline");
        using var io = Checkpoint.Open(Path.Combine(pipeline, "io.safetensors"));
        using var parameters = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(pipeline, "params.json")));
        var strength = parameters.RootElement.GetProperty("noise_aug_strength").GetDouble();
        var image = SvdPreprocessing.ToSignedTensor(PhotoDecoder.Decode(File.ReadAllBytes(Path.Combine(pipeline, "input.png"))).Image);
        FixtureSets.AssertClose(FixtureSets.Read(io, "vae_image_preprocessed"), image, 1e-6, "vae_image_preprocessed");

        var augmented = SvdPreprocessing.AddNoise(image, FixtureSets.Read(io, "aug_noise"), strength);
        FixtureSets.AssertClose(FixtureSets.Read(io, "vae_encoder_input"), augmented, 1e-6, "vae_encoder_input");

        var vaeFolder = FixtureSets.Folder(set, "vae");
        using var weights = Checkpoint.Open(Path.Combine(vaeFolder, "weights.safetensors"));
        var config = AutoencoderKLTemporalDecoder.Config.From(ModelConfig.Load(Path.Combine(vaeFolder, "config.json")));
        using var encoder = OnnxNetwork.Create(AutoencoderKLTemporalDecoder.BuildEncoder(weights, config));
        var mean = encoder.Run(new Dictionary<string, FloatTensor> { ["image"] = augmented })["mean"];

        var expected = FixtureSets.Read(io, "image_latents");               // (2, 4, h, w): zeros, then the image's latent mean
        var conditional = expected.Data[(expected.Data.Length / 2)..];
        Assert.All(expected.Data[..(expected.Data.Length / 2)], value => Assert.Equal(0f, value));
        FixtureSets.AssertClose(new FloatTensor(conditional, mean.Shape), mean, 1e-4, "image_latents");
    }
}
