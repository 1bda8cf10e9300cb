using TurnLivePhotos.Engine.Depth;
using TurnLivePhotos.Engine.Onnx;
using TurnLivePhotos.Engine.Weights;
using TurnLivePhotos.Media.Decoding;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Depth;

/// <summary>DPTImageProcessor (size, Pillow bicubic, rescale, ImageNet normalisation) and the model on its output.</summary>
public sealed class DptImageProcessorTests
{
    public static TheoryData<string> Sets => FixtureSets.DepthSets;

    [Theory]
    [MemberData(nameof(Sets))]
    public void The_test_image_becomes_the_recorded_pixel_values_and_depth(string set)
    {
        var folder = FixtureSets.Folder(set);
        using var io = Checkpoint.Open(Path.Combine(folder, "io.safetensors"));
        var processor = DptImageProcessor.Load(Path.Combine(folder, "preprocessor_config.json"));
        var photo = PhotoDecoder.Decode(File.ReadAllBytes(Path.Combine(folder, "test_image.png"))).Image;

        var pixels = processor.Preprocess(photo);
        FixtureSets.AssertClose(FixtureSets.Read(io, "image.pixel_values"), pixels, 1e-5, "image.pixel_values");

        using var weights = Checkpoint.Open(Path.Combine(folder, "model.safetensors"));
        using var network = OnnxNetwork.Create(DepthAnythingModel.Build(weights, DepthAnythingConfig.Load(Path.Combine(folder, "config.json"))));
        var depth = network.Run(new Dictionary<string, FloatTensor> { ["pixel_values"] = pixels })["predicted_depth"];
        FixtureSets.AssertClose(FixtureSets.Read(io, "image.predicted_depth"), depth, 1e-4, "image.predicted_depth");
    }

    [Theory]
    [InlineData(3024, 4032, 518, 686)]   // 12-MP landscape phone photo: the short side lands on 518
    [InlineData(4032, 3024, 686, 518)]
    [InlineData(110, 150, 378, 518)]     // upscaling: the side whose scale is closer to 1 wins
    [InlineData(518, 518, 518, 518)]
    public void The_output_size_keeps_the_aspect_and_rounds_to_the_patch(int height, int width, int expectedHeight, int expectedWidth)
    {
        var processor = new DptImageProcessor(518, 518, true, 14, true, true, 1 / 255.0, true, [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);
        Assert.Equal((expectedHeight, expectedWidth), processor.OutputSize(height, width));
    }

    [Theory]
    [InlineData(3024, 4032, 392, 518)]   // the cinematic engine's fit: the long side lands on 518
    [InlineData(4032, 3024, 518, 392)]
    [InlineData(1080, 1920, 294, 518)]
    [InlineData(110, 150, 378, 518)]     // upscaling: still inside 518 x 518
    [InlineData(518, 518, 518, 518)]
    public void Fitted_inside_the_size_the_long_side_takes_it(int height, int width, int expectedHeight, int expectedWidth)
    {
        var processor = new DptImageProcessor(518, 518, true, 14, true, true, 1 / 255.0, true, [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);
        Assert.Equal((expectedHeight, expectedWidth), processor.OutputSize(height, width, DepthInputFit.Inside));
        Assert.Equal(new long[] { 1, 3, expectedHeight, expectedWidth }, processor.Preprocess(new TurnLivePhotos.Media.Imaging.RgbImage(width, height, new byte[width * height * 3]), DepthInputFit.Inside).Shape);
    }
}
