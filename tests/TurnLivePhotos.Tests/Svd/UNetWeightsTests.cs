using TurnLivePhotos.Engine;
using TurnLivePhotos.Engine.Svd;
using TurnLivePhotos.Engine.Weights;
using TurnLivePhotos.Media.Decoding;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Svd;

/// <summary>[ModelOptions] UNetWeights: a separate UNet file (as AnimateLCM-SVD-xt ships) replaces the model folder's.</summary>
public sealed class UNetWeightsTests
{
    private static readonly MotionParameters Small = new() { Frames = 3, InferenceSteps = 2, TargetWidth = 64, TargetHeight = 64, Seed = 5, Sampler = Sampler.AnimateLcm, MaxGuidanceScale = 1.2 };

    public static TheoryData<string> Sets => FixtureSets.All;

    [Theory]
    [MemberData(nameof(Sets))]
    public async Task The_replacement_file_is_the_UNet_that_runs(string set)
    {
        using var temp = new TempFolder();
        var model = TinyModelFolder.Create(set, temp["model"]);
        var unet = SvdModelFolder.Open(model).Unet.Weights;
        var photo = PhotoDecoder.Decode(File.ReadAllBytes(Path.Combine(FixtureSets.Folder(set, "pipeline"), "input.png"))).Image;
        var sameInHalf = HalfPrecision.Convert(unet, temp["same.fp16.safetensors"]);
        var changed = Rewrite(unet, temp["changed.safetensors"], (name, values) => name == "conv_out.bias" ? values.Select(v => v + 0.5f).ToArray() : values);

        async Task<byte[]> Run(string weights)
        {
            using var engine = new SvdMotionEngine(new SvdEngineOptions(model, UNetWeights: weights), new RecordingLogger<SvdMotionEngine>());
            var clip = await engine.GenerateAsync(Small.ToRequest(photo), null, CancellationToken.None);
            return clip.Frames.SelectMany(frame => frame.Pixels.ToArray()).ToArray();
        }

        // The folder's own UNet file named as the replacement: the few-step sampler refuses to run without one.
        var folderUNet = await Run(unet);
        var halfCopy = await Run(sameInHalf);
        var other = await Run(changed);

        Assert.True(folderUNet.Zip(halfCopy).All(p => Math.Abs(p.First - p.Second) <= 2), "the same weights in fp16 should give (nearly) the same frames");
        Assert.True(folderUNet.Zip(other).Count(p => p.First != p.Second) > folderUNet.Length / 10, "a changed UNet file should change the frames");
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public async Task A_file_that_does_not_fit_the_UNet_config_is_one_line_naming_what_is_wrong(string set)
    {
        using var temp = new TempFolder();
        var model = TinyModelFolder.Create(set, temp["model"]);
        var unet = SvdModelFolder.Open(model).Unet.Weights;
        var photo = PhotoDecoder.Decode(TestPhotos.Scene(64, 64)).Image;
        using var checkpoint = Checkpoint.Open(unet);
        var first = checkpoint.Tensors.Keys.Order(StringComparer.Ordinal).First();
        var reshaped = checkpoint.Tensors.Values.First(t => t.Shape.Length == 4);

        var cases = new (string File, string[] Expected)[]
        {
            (Rewrite(unet, temp["missing.safetensors"], (name, values) => values, drop: first), ["1 of", "tensors missing", first]),
            (Rewrite(unet, temp["extra.safetensors"], (name, values) => values, extra: "lora.up.weight"), ["1 unexpected", "lora.up.weight"]),
            (Rewrite(unet, temp["shape.safetensors"], (name, values) => values, flatten: reshaped.Name), ["1 with another shape", reshaped.Name, $"expected [{string.Join(", ", reshaped.Shape)}]"]),
            (temp["absent.safetensors"], ["no such file"]),
        };

        foreach (var (file, expected) in cases)
        {
            using var engine = new SvdMotionEngine(new SvdEngineOptions(model, UNetWeights: file), new RecordingLogger<SvdMotionEngine>());
            var error = await Assert.ThrowsAsync<EngineException>(() => engine.GenerateAsync(Small.ToRequest(photo), null, CancellationToken.None));
            Assert.DoesNotContain('\n', error.Message);
            Assert.Contains(Path.GetFileName(file), error.Message, StringComparison.Ordinal);
            Assert.All(expected, part => Assert.Contains(part, error.Message, StringComparison.Ordinal));
        }
    }

    /// <summary>A float32 copy of a weight file with values changed, one tensor dropped, one added or one flattened.</summary>
    private static string Rewrite(string source, string destination, Func<string, float[], float[]> change, string? drop = null, string? extra = null, string? flatten = null)
    {
        using var checkpoint = Checkpoint.Open(source);
        var entries = checkpoint.Tensors.Values
            .Where(t => t.Name != drop)
            .OrderBy(t => t.Offset)
            .Select(t => SafetensorsWriter.Float32(t.Name, change(t.Name, checkpoint.ReadFloat32(t.Name)), t.Name == flatten ? [t.ElementCount] : t.Shape))
            .ToList();
        if (extra is not null)
        {
            entries.Add(SafetensorsWriter.Float32(extra, [1f, 2f], 2));
        }

        SafetensorsWriter.Write(destination, entries);
        return destination;
    }
}
