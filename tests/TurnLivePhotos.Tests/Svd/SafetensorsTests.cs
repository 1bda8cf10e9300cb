using System.Text;
using TurnLivePhotos.Engine.Weights;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Svd;

public sealed class SafetensorsTests
{
    [Fact]
    public void Tensors_are_read_by_name_as_views_of_the_file()
    {
        using var folder = new TempFolder();
        var path = folder["w.safetensors"];
        SafetensorsWriter.Write(path, [SafetensorsWriter.Float32("a.weight", [1, 2, 3, 4], 2, 2), SafetensorsWriter.Float16("b", [0.5f, -2], 2)],
            new Dictionary<string, string> { ["format"] = "pt" });

        using var file = SafetensorsFile.Open(path);
        using var checkpoint = Checkpoint.Open(path);

        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal([2L, 2], file["a.weight"].Shape);
        Assert.Equal(WeightType.Float16, file["b"].Type);
        Assert.Equal([1f, 2, 3, 4], checkpoint.ReadFloat32("a.weight"));
        Assert.Equal([0.5f, -2], checkpoint.ReadFloat32("b"));
        Assert.Equal(new FileInfo(path).Length - file["b"].ByteLength, file["b"].Offset);
    }

    [Fact]
    public void Bfloat16_weights_widen_to_float32()
    {
        using var folder = new TempFolder();
        var path = folder["bf.safetensors"];
        // bf16 is the top half of a float32: 1.5f = 0x3FC00000, -0.25f = 0xBE800000.
        byte[] data = [0xC0, 0x3F, 0x80, 0xBE];
        SafetensorsWriter.Write(path, [new SafetensorsWriter.Entry("x", WeightType.BFloat16, [2], data)]);

        using var checkpoint = Checkpoint.Open(path);

        Assert.Equal([1.5f, -0.25f], checkpoint.ReadFloat32("x"));
    }

    [Fact]
    public void A_sharded_checkpoint_is_read_through_its_index()
    {
        using var folder = new TempFolder();
        SafetensorsWriter.Write(folder["model-00001-of-00002.safetensors"], [SafetensorsWriter.Float32("a", [1, 2], 2)]);
        SafetensorsWriter.Write(folder["model-00002-of-00002.safetensors"], [SafetensorsWriter.Float32("b", [3], 1)]);
        var index = folder.Write("model.safetensors.index.json",
            """{"metadata": {"total_size": 12}, "weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}""");

        using var checkpoint = Checkpoint.Open(index);

        Assert.Equal([1f, 2], checkpoint.ReadFloat32("a"));
        Assert.Equal([3f], checkpoint.ReadFloat32("b"));
    }

    [Fact]
    public void An_index_naming_a_tensor_its_shard_lacks_is_an_error()
    {
        using var folder = new TempFolder();
        SafetensorsWriter.Write(folder["s1.safetensors"], [SafetensorsWriter.Float32("a", [1], 1)]);
        var index = folder.Write("m.safetensors.index.json", """{"weight_map": {"a": "s1.safetensors", "ghost": "s1.safetensors"}}""");

        var error = Assert.Throws<WeightFileException>(() => Checkpoint.Open(index));

        Assert.Contains("ghost", error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string> Malformed => new()
    {
        { "header length beyond the file", Raw(headerLength: 1_000_000, "{}", dataBytes: 0), "header length" },
        { "header not JSON", Raw(null, "{not json", dataBytes: 0), "not valid JSON" },
        { "offsets past the end", Raw(null, """{"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", dataBytes: 8), "outside" },
        { "shape and size disagree", Raw(null, """{"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", dataBytes: 8), "needs 12 bytes" },
        { "unknown dtype", Raw(null, """{"x":{"dtype":"Q4","shape":[2],"data_offsets":[0,2]}}""", dataBytes: 2), "unsupported dtype 'Q4'" },
        { "overlapping tensors", Raw(null, """{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", dataBytes: 12), "overlaps" },
        { "duplicate names", Raw(null, """{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", dataBytes: 8), "listed twice" },
        { "negative dimension", Raw(null, """{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", dataBytes: 4), "non-negative" },
        { "reversed offsets", Raw(null, """{"x":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}}""", dataBytes: 8), "outside" },
        { "huge shape", Raw(null, """{"x":{"dtype":"F32","shape":[4611686018427387904,8],"data_offsets":[0,4]}}""", dataBytes: 4), "too large" },
        { "truncated", "AAAA", "too short" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void A_malformed_file_gives_one_clear_error_naming_the_file(string why, string base64, string expected)
    {
        using var folder = new TempFolder();
        var path = folder.Write("bad.safetensors", Convert.FromBase64String(base64));

        var error = Assert.Throws<WeightFileException>(() => SafetensorsFile.Open(path));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains("bad.safetensors", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        Assert.False(string.IsNullOrEmpty(why));
    }

    [Fact]
    public void A_real_file_cut_short_is_refused()
    {
        using var folder = new TempFolder();
        var path = folder["w.safetensors"];
        SafetensorsWriter.Write(path, [SafetensorsWriter.Float32("w", new float[256], 256)]);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^100]);

        var error = Assert.Throws<WeightFileException>(() => SafetensorsFile.Open(path));

        Assert.Contains("'w'", error.Message, StringComparison.Ordinal);
    }

    private static string Raw(long? headerLength, string header, int dataBytes)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = BitConverter.GetBytes(headerLength ?? json.Length).Concat(json).Concat(new byte[dataBytes]).ToArray();
        return Convert.ToBase64String(bytes);
    }
}
