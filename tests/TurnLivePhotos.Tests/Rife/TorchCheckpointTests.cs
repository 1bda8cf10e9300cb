using System.IO.Compression;
using System.Text;
using System.Text.Json;
using TurnLivePhotos.Engine.Weights;
using TurnLivePhotos.Engine.Weights.Torch;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Rife;

/// <summary>
/// The restricted reader of torch.save archives: against archives real torch.save wrote (Fixtures/torch-checkpoints,
/// with the values torch itself read back), and against hostile archives made here.
/// </summary>
public sealed class TorchCheckpointTests
{
    private static string Folder => Path.Combine(FixtureSets.Root, "torch-checkpoints");

    public static TheoryData<string> Archives
    {
        get
        {
            var data = new TheoryData<string>();
            var files = Directory.GetFiles(Folder, "*.pt").Select(Path.GetFileNameWithoutExtension).Order().ToList();
            Assert.NotEmpty(files);
            files.ForEach(name => data.Add(name!));
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Archives))]
    public void Every_tensor_torch_saved_reads_back_with_its_dtype_shape_and_values(string name)
    {
        var checkpoint = TorchCheckpoint.Open(Path.Combine(Folder, name + ".pt"));
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, name + ".json")));
        var names = expected.RootElement.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(names, checkpoint.Tensors.Select(t => t.Name));
        foreach (var entry in expected.RootElement.EnumerateObject())
        {
            var tensor = checkpoint.ByName[entry.Name];
            Assert.Equal(DType(entry.Value.GetProperty("dtype").GetString()!), tensor.Type);
            Assert.Equal(entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()), tensor.Shape);
            var values = entry.Value.GetProperty("values").EnumerateArray().ToList();
            if (tensor.IsFloatingPoint)
            {
                Assert.Equal(values.Select(v => (float)v.GetDouble()), tensor.ToFloat32());
            }
            else
            {
                Assert.Equal(values.Select(v => v.ValueKind == JsonValueKind.True ? 1 : v.ValueKind == JsonValueKind.False ? 0 : v.GetInt64()), tensor.ToInt64());
            }
        }
    }

    [Fact]
    public void Views_of_one_storage_share_it()
    {
        var checkpoint = TorchCheckpoint.Open(Path.Combine(Folder, "views.pt"));
        Assert.Single(checkpoint.Tensors.Select(t => t.Storage).Distinct());
    }

    [Theory]
    [InlineData("os", "system")]
    [InlineData("posix", "system")]
    [InlineData("builtins", "eval")]
    [InlineData("torch", "load")]
    public void A_global_outside_the_state_dict_vocabulary_is_refused_by_name(string module, string name)
    {
        // GLOBAL module name; 'echo pwned'; TUPLE1; REDUCE; STOP — what a malicious checkpoint runs on pickle.load.
        var pickle = new PickleBytes().Proto().Global(module, name).Unicode("echo pwned").Op(0x85).Op('R').Op('.').ToArray();
        var error = Refused(Archive(pickle));
        Assert.Contains($"'{module}.{name}'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stack_global_is_checked_the_same_way()
    {
        var pickle = new PickleBytes().Proto(4).Unicode("builtins").Unicode("exec").Op(0x93).Unicode("x").Op(0x85).Op('R').Op('.').ToArray();
        Assert.Contains("'builtins.exec'", Refused(Archive(pickle)), StringComparison.Ordinal);
    }

    [Fact]
    public void An_opcode_a_state_dict_never_uses_is_refused()
    {
        // INST ('i'), the protocol-0 way to construct any class.
        var pickle = new PickleBytes().Proto().Op('(').Raw("ios\nsystem\n").Op('.').ToArray();
        Assert.Contains("opcode 0x69 ('i')", Refused(Archive(pickle)), StringComparison.Ordinal);
    }

    [Fact]
    public void A_generated_state_dict_reads_and_its_mutations_are_refused()
    {
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], TorchCheckpoint.Read(new MemoryStream(Archive(StateDict(6, [2, 3], [3, 1]), Floats(6))), "gen").ByName["w"].ToFloat32());
        Assert.Equal([1f, 4f, 2f, 5f, 3f, 6f], TorchCheckpoint.Read(new MemoryStream(Archive(StateDict(6, [3, 2], [1, 3]), Floats(6))), "gen").ByName["w"].ToFloat32());
        Assert.Contains("reaches element 7", Refused(Archive(StateDict(6, [3, 2], [3, 1]), Floats(6))), StringComparison.Ordinal);
        Assert.Contains("should hold 24 bytes", Refused(Archive(StateDict(6, [6], [1]), Floats(5))), StringComparison.Ordinal);
        Assert.Contains("beyond the", Refused(Archive(StateDict(1L << 40, [6], [1]), Floats(6))), StringComparison.Ordinal);
        Assert.Contains("has no entry", Refused(Archive(StateDict(6, [6], [1]))), StringComparison.Ordinal);
    }

    [Fact]
    public void Deep_nesting_is_refused()
    {
        var pickle = new PickleBytes().Proto();
        for (var i = 0; i < 100_000; i++)
        {
            pickle.Op('(');
        }

        Assert.Contains("nest deeper", Refused(Archive(pickle.Op('.').ToArray())), StringComparison.Ordinal);
    }

    [Fact]
    public void Huge_counts_are_refused()
    {
        var limits = new TorchCheckpointLimits { MaxMemo = 1000, MaxStack = 1000, MaxOpcodes = 50_000 };
        var memo = new PickleBytes().Proto().Op('N');
        for (var i = 0; i < 2000; i++)
        {
            memo.Op('r').Int32(i);
        }

        Assert.Contains("memo entries", Refused(Archive(memo.Op('.').ToArray()), limits), StringComparison.Ordinal);
        var stack = new PickleBytes().Proto();
        for (var i = 0; i < 2000; i++)
        {
            stack.Op('N');
        }

        Assert.Contains("values on the stack", Refused(Archive(stack.Op('.').ToArray()), limits), StringComparison.Ordinal);
        var long_ = new PickleBytes().Proto().Op('N');
        for (var i = 0; i < 60_000; i++)
        {
            long_.Op('q').Op(0);
        }

        Assert.Contains("opcodes", Refused(Archive(long_.Op('.').ToArray()), limits), StringComparison.Ordinal);
        var text = new PickleBytes().Proto().Op('X').Int32(int.MaxValue).Op('.').ToArray();
        Assert.Contains("a string of 2147483647 bytes", Refused(Archive(text)), StringComparison.Ordinal);
        Assert.Contains("more than 2 tensors", Refused(Archive(StateDict(6, [6], [1], copies: 3), Floats(6)), new TorchCheckpointLimits { MaxTensors = 2 }), StringComparison.Ordinal);
    }

    [Fact]
    public void A_zip_bomb_is_refused_before_it_is_inflated()
    {
        // 256 MB of zeros deflate to a few hundred kilobytes; the declared size alone refuses it.
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var stream = zip.CreateEntry("archive/data.pkl", CompressionLevel.SmallestSize).Open();
            var zeros = new byte[1 << 20];
            for (var i = 0; i < 256; i++)
            {
                stream.Write(zeros);
            }
        }

        Assert.True(buffer.Length < 2 << 20);
        Assert.Contains("more than the 16777216 allowed", Refused(buffer.ToArray()), StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_and_foreign_files_are_refused()
    {
        var whole = StateDict(6, [6], [1]);
        Assert.Contains("truncated", Refused(Archive(whole[..^1], Floats(6))), StringComparison.Ordinal);
        Assert.Contains("not a PyTorch zip checkpoint", Refused(Encoding.ASCII.GetBytes("definitely not a zip file")), StringComparison.Ordinal);
        Assert.Contains("no <folder>/data.pkl", Refused(ZipOf(("weights.bin", [1, 2, 3]))), StringComparison.Ordinal);
    }

    private static TorchDType DType(string name) => name switch
    {
        "float32" => TorchDType.Float32,
        "float16" => TorchDType.Float16,
        "bfloat16" => TorchDType.BFloat16,
        "float64" => TorchDType.Float64,
        "int64" => TorchDType.Int64,
        "int32" => TorchDType.Int32,
        "bool" => TorchDType.Bool,
        _ => throw new ArgumentException(name),
    };

    private static string Refused(byte[] archive, TorchCheckpointLimits? limits = null) =>
        Assert.Throws<WeightFileException>(() => TorchCheckpoint.Read(new MemoryStream(archive), "hostile.pt", limits)).Message;

    private static byte[] Floats(int count) => [.. Enumerable.Range(1, count).SelectMany(i => BitConverter.GetBytes((float)i))];

    /// <summary>{'w': a float32 tensor over storage '0' of <paramref name="numel"/> elements}, as torch.save writes it (copies add 'w1', 'w2', ... sharing it).</summary>
    private static byte[] StateDict(long numel, long[] size, long[] stride, int copies = 1)
    {
        var p = new PickleBytes().Proto().Global("collections", "OrderedDict").Op(')').Op('R').Op('(');
        for (var copy = 0; copy < copies; copy++)
        {
            p.Unicode(copy == 0 ? "w" : $"w{copy}").Global("torch._utils", "_rebuild_tensor_v2").Op('(');
            p.Op('(').Unicode("storage").Global("torch", "FloatStorage").Unicode("0").Unicode("cpu").Long(numel).Op('t').Op('Q');
            p.Long(0).Op('(');
            foreach (var d in size)
            {
                p.Long(d);
            }

            p.Op('t').Op('(');
            foreach (var s in stride)
            {
                p.Long(s);
            }

            p.Op('t').Op(0x89).Global("collections", "OrderedDict").Op(')').Op('R').Op('t').Op('R');
        }

        return p.Op('u').Op('.').ToArray();
    }

    private static byte[] Archive(byte[] pickle, byte[]? storage = null) =>
        storage is null ? ZipOf(("archive/data.pkl", pickle), ("archive/version", "3\n"u8.ToArray()))
            : ZipOf(("archive/data.pkl", pickle), ("archive/data/0", storage), ("archive/version", "3\n"u8.ToArray()));

    private static byte[] ZipOf(params (string Name, byte[] Bytes)[] entries)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, bytes) in entries)
            {
                using var stream = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
                stream.Write(bytes);
            }
        }

        return buffer.ToArray();
    }

    /// <summary>Writes pickle opcodes (CPython's Lib/pickletools.py defines them).</summary>
    private sealed class PickleBytes
    {
        private readonly MemoryStream bytes = new();

        public PickleBytes Op(char op) => Op((byte)op);

        public PickleBytes Op(byte op)
        {
            bytes.WriteByte(op);
            return this;
        }

        public PickleBytes Proto(byte protocol = 2) => Op(0x80).Op(protocol);

        public PickleBytes Raw(string text)
        {
            bytes.Write(Encoding.ASCII.GetBytes(text));
            return this;
        }

        public PickleBytes Global(string module, string name) => Op('c').Raw($"{module}\n{name}\n");

        public PickleBytes Int32(int value)
        {
            bytes.Write(BitConverter.GetBytes(value));
            return this;
        }

        public PickleBytes Unicode(string text)
        {
            var utf8 = Encoding.UTF8.GetBytes(text);
            Op('X').Int32(utf8.Length);
            bytes.Write(utf8);
            return this;
        }

        /// <summary>LONG1 with eight bytes: any int64.</summary>
        public PickleBytes Long(long value)
        {
            Op(0x8a).Op(8);
            bytes.Write(BitConverter.GetBytes(value));
            return this;
        }

        public byte[] ToArray() => bytes.ToArray();
    }
}
