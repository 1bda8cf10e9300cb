namespace TurnLivePhotos.Tests.Support;

/// <summary>
/// A fixture set's tiny SVD laid out as its hub repository would be: the diffusers folder (fp16 UNet beside the fp32
/// one), plus what a download must leave alone: a top-level single-file checkpoint and a README.
/// </summary>
public static class TinyHubRepository
{
    public const string RepoId = "tiny-org/svd-tiny";

    public static readonly string[] Decoys = ["svd_xt.safetensors", "README.md", "unet/diffusion_pytorch_model.safetensors"];

    public static string Create(string set, string folder)
    {
        TinyModelFolder.Create(set, folder, halfPrecisionVariant: true);
        var random = new Random(7);
        var checkpoint = new byte[300_000];
        random.NextBytes(checkpoint);
        File.WriteAllBytes(Path.Combine(folder, "svd_xt.safetensors"), checkpoint);
        File.WriteAllText(Path.Combine(folder, "README.md"), "---\nlicense: other\n---\n# tiny\n");
        return folder;
    }

    /// <summary>What an fp16 download must fetch from that repository.</summary>
    public static IReadOnlyList<string> ExpectedFiles =>
    [
        "model_index.json",
        "image_encoder/config.json",
        "image_encoder/model.safetensors",
        "unet/config.json",
        "unet/diffusion_pytorch_model.fp16.safetensors",
        "vae/config.json",
        "vae/diffusion_pytorch_model.safetensors",
        "scheduler/scheduler_config.json",
        "feature_extractor/preprocessor_config.json",
    ];

    public static IEnumerable<string> FilesUnder(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(folder, path).Replace('\\', '/'))
            .Where(path => !path.StartsWith(".hub-download", StringComparison.Ordinal));
}
