using TurnLivePhotos.Engine.Svd;
using TurnLivePhotos.Hub;

namespace TurnLivePhotos.Tests.Hub;

public sealed class HubRepositoryTests
{
    [Theory]
    [InlineData("https://huggingface.co/stabilityai/stable-video-diffusion-img2vid-xt", null, "https://huggingface.co/", "stabilityai/stable-video-diffusion-img2vid-xt")]
    [InlineData("https://hf-mirror.com/stabilityai/stable-video-diffusion-img2vid-xt-1-1/", null, "https://hf-mirror.com/", "stabilityai/stable-video-diffusion-img2vid-xt-1-1")]
    [InlineData("https://hf-mirror.com", null, "https://hf-mirror.com/", "org/model")]
    [InlineData("https://huggingface.co/stabilityai/stable-video-diffusion-img2vid", "https://hf-mirror.com", "https://hf-mirror.com/", "stabilityai/stable-video-diffusion-img2vid")]
    [InlineData("http://127.0.0.1:8080/hub/org/name", null, "http://127.0.0.1:8080/hub/", "org/name")]
    public void The_repository_url_gives_hub_and_repository(string url, string? endpointVariable, string endpoint, string repoId)
    {
        var repository = HubRepository.Parse(url, "org/model", endpointVariable);

        Assert.Equal(endpoint, repository.Endpoint.ToString());
        Assert.Equal(repoId, repository.RepoId);
        Assert.Equal($"{endpoint}{repoId}/resolve/abc/unet/config.json", repository.Resolve("abc", "unet/config.json").ToString());
    }

    [Theory]
    [InlineData("huggingface.co/org/name")]
    [InlineData("ftp://example/org/name")]
    public void A_url_that_is_not_http_is_refused_with_the_setting_named(string url)
    {
        var refused = Assert.Throws<HubException>(() => HubRepository.Parse(url, null, null));
        Assert.Contains("[InstallationOptions] ModelRepositoryUrl", refused.Message, StringComparison.Ordinal);
    }

    /// <summary>The file list of stabilityai/stable-video-diffusion-img2vid-xt (main), as its tree API lists it.</summary>
    private static readonly string[] Img2VidXtRepository =
    [
        ".gitattributes", "LICENSE", "README.md", "comparison.png", "model_index.json", "output_tile.gif", "svd_xt.safetensors", "svd_xt_image_decoder.safetensors",
        "feature_extractor/preprocessor_config.json",
        "image_encoder/config.json", "image_encoder/model.fp16.safetensors", "image_encoder/model.safetensors",
        "scheduler/scheduler_config.json",
        "unet/config.json", "unet/diffusion_pytorch_model.fp16.safetensors", "unet/diffusion_pytorch_model.safetensors",
        "vae/config.json", "vae/diffusion_pytorch_model.fp16.safetensors", "vae/diffusion_pytorch_model.safetensors",
    ];

    [Fact]
    public void For_fp16_only_the_configs_and_the_fp16_weights_are_selected()
    {
        var selected = SvdModelFolder.SelectFiles(Img2VidXtRepository, "fp16");

        Assert.Equal(
            new[]
            {
                "feature_extractor/preprocessor_config.json", "image_encoder/config.json", "image_encoder/model.fp16.safetensors", "model_index.json",
                "scheduler/scheduler_config.json", "unet/config.json", "unet/diffusion_pytorch_model.fp16.safetensors", "vae/config.json", "vae/diffusion_pytorch_model.fp16.safetensors",
            },
            selected.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Without_a_variant_the_plain_weights_are_selected()
    {
        var selected = SvdModelFolder.SelectFiles(Img2VidXtRepository, variant: null);

        Assert.Contains("unet/diffusion_pytorch_model.safetensors", selected);
        Assert.DoesNotContain(selected, path => path.Contains(".fp16.", StringComparison.Ordinal) || path.StartsWith("svd_xt", StringComparison.Ordinal));
    }
}
