using TurnLivePhotos.Engine.Svd;
using TurnLivePhotos.Engine.Weights;

namespace TurnLivePhotos.Bench;

/// <summary>
/// A complete img2vid-xt model folder with random weights: the real configs, and for each network the state dict
/// its builder declares for that config (names and shapes), so the files fit the graphs by construction.
/// </summary>
public static class SyntheticModel
{
    /// <summary>The state dicts of the three networks for the img2vid-xt configs.</summary>
    public static IReadOnlyList<WeightShape> ImageEncoderLayout() => ClipVisionModel.StateDict(ClipVisionModel.Config.From(ModelConfig.Parse(Img2VidXtConfigs.ImageEncoder, "image_encoder/config.json")));

    public static IReadOnlyList<WeightShape> VaeLayout() => AutoencoderKLTemporalDecoder.StateDict(AutoencoderKLTemporalDecoder.Config.From(ModelConfig.Parse(Img2VidXtConfigs.Vae, "vae/config.json")));

    public static IReadOnlyList<WeightShape> UnetLayout() => UNetSpatioTemporalConditionModel.StateDict(UNetSpatioTemporalConditionModel.Config.From(ModelConfig.Parse(Img2VidXtConfigs.Unet, "unet/config.json")));

    /// <summary>
    /// Writes the folder with random weights (N(0, 0.02²); about 4.5 GB in fp16), component by component and tensor
    /// by tensor, so memory use stays small.
    /// </summary>
    public static void Write(string folder, WeightType type = WeightType.Float16)
    {
        void Text(string path, string content)
        {
            var full = Path.Combine(folder, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, content);
        }

        var suffix = type == WeightType.Float16 ? ".fp16.safetensors" : ".safetensors";
        void Weights(string path, IReadOnlyList<WeightShape> layout, int seed) =>
            SafetensorsWriter.WriteSynthetic(Path.Combine(folder, path + suffix), layout.Select(t => (t.Name, type, t.Shape)).ToList(), seed);

        Text("model_index.json", Img2VidXtConfigs.ModelIndex);
        Text("scheduler/scheduler_config.json", Img2VidXtConfigs.Scheduler);
        Text("feature_extractor/preprocessor_config.json", Img2VidXtConfigs.FeatureExtractor);
        Text("image_encoder/config.json", Img2VidXtConfigs.ImageEncoder);
        Text("unet/config.json", Img2VidXtConfigs.Unet);
        Text("vae/config.json", Img2VidXtConfigs.Vae);
        Weights("image_encoder/model", ImageEncoderLayout(), seed: 1);
        Weights("vae/diffusion_pytorch_model", VaeLayout(), seed: 2);
        Weights("unet/diffusion_pytorch_model", UnetLayout(), seed: 3);
    }
}
