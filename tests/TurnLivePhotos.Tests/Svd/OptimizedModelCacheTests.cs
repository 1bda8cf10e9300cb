using TurnLivePhotos.Engine.Onnx;
using TurnLivePhotos.Engine.Svd;
using TurnLivePhotos.Engine.Weights;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Svd;

/// <summary>Warm starts: optimized graphs saved on first load, read on the next, keyed by what they were made from.</summary>
public sealed class OptimizedModelCacheTests
{
    public static TheoryData<string> Sets => FixtureSets.All;

    [Theory]
    [MemberData(nameof(Sets))]
    public void The_second_load_reads_the_saved_optimized_graph_and_computes_the_same(string set)
    {
        using var temp = new TempFolder();
        var (weightsPath, config, io) = Unet(set, temp);
        using var _ = io;
        var cache = new OptimizedModelCache(temp["cache"], "cpu");
        var inputs = Inputs(io);

        FloatTensor first;
        string key;
        using (var weights = Checkpoint.Open(weightsPath))
        {
            var model = UNetSpatioTemporalConditionModel.Build(weights, config, (int)io["sample"].Shape[1]);
            key = cache.Key(model);
            using var network = OnnxNetwork.Create(model, cache: cache);
            first = network.Run(inputs)["out_sample"];
        }

        Assert.True(File.Exists(Path.Combine(cache.Folder, key + ".onnx")), "the optimized graph was not saved");
        Assert.Empty(Directory.GetDirectories(cache.Folder));
        var saved = File.GetLastWriteTimeUtc(Path.Combine(cache.Folder, key + ".onnx"));

        using (var weights = Checkpoint.Open(weightsPath))
        {
            var model = UNetSpatioTemporalConditionModel.Build(weights, config, (int)io["sample"].Shape[1]);
            using var network = OnnxNetwork.Create(model, cache: cache);
            Assert.Equal(first.Data, network.Run(inputs)["out_sample"].Data);
        }

        Assert.Equal(saved, File.GetLastWriteTimeUtc(Path.Combine(cache.Folder, key + ".onnx")));
        FixtureSets.AssertClose(FixtureSets.Read(io, "out_sample"), first, 1e-4, "out_sample through the cache");
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void An_entry_is_opened_without_its_inputs_shapes_and_computes_what_the_graph_computes(string set)
    {
        using var temp = new TempFolder();
        var (weightsPath, config, io) = Unet(set, temp);
        using var _ = io;
        using var weights = Checkpoint.Open(weightsPath);
        var model = UNetSpatioTemporalConditionModel.Build(weights, config, (int)io["sample"].Shape[1]);

        var stripped = ShapelessInputs.Strip(model.Proto);

        // Every input keeps its name and element type and loses its shape; every other field is as it was, in order.
        var before = GraphFields(model.Proto);
        var after = GraphFields(stripped);
        Assert.Equal(before.Select(f => f.Field), after.Select(f => f.Field));
        var inputs = 0;
        foreach (var (original, rewritten) in before.Zip(after))
        {
            if (original.Field != OnnxSchema.Graph.Input)
            {
                Assert.Equal(original.Bytes, rewritten.Bytes);
                continue;
            }

            inputs++;
            var (name, elementType, shape) = InputType(original.Bytes);
            Assert.NotNull(shape);
            Assert.Equal((name, elementType, (byte[]?)null), InputType(rewritten.Bytes));
        }

        Assert.Equal(model.Inputs.Count, inputs);
        using var options = new Microsoft.ML.OnnxRuntime.SessionOptions();
        options.AddSessionConfigEntry(OnnxNetwork.ExternalDataFolderKey, Path.GetDirectoryName(weightsPath)!);
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(stripped, options);
        Assert.All(session.InputMetadata.Values, input => Assert.Empty(input.Dimensions));
        using var network = OnnxNetwork.Create(model);
        var expected = network.Run(Inputs(io))["out_sample"];
        // Without shapes ONNX Runtime may fuse and lay out differently, so the sums may run in another order.
        FixtureSets.AssertClose(expected, new FloatTensor(OutSample(session, io), expected.Shape), FloatAccumulation.UNetEvaluation(config), "entry without input shapes vs graph");
    }

    [Fact]
    public void A_model_cut_short_is_refused_with_an_error_naming_where()
    {
        var model = new ProtoWriter();
        model.Message(OnnxSchema.Model.Graph, graph => graph.String(OnnxSchema.Graph.Name, "a graph"));
        var bytes = model.ToArray();

        var error = Assert.Throws<InvalidDataException>(() => ShapelessInputs.Strip(bytes.AsSpan(0, bytes.Length - 3)));
        Assert.Contains("cut short", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void A_damaged_entry_is_optimized_again_and_saved_whole(string set)
    {
        using var temp = new TempFolder();
        var (weightsPath, config, io) = Unet(set, temp);
        using var _ = io;
        var cache = new OptimizedModelCache(temp["cache"], "cpu");
        using var weights = Checkpoint.Open(weightsPath);
        var frames = (int)io["sample"].Shape[1];
        FloatTensor first;
        string graph;
        using (var network = OnnxNetwork.Create(UNetSpatioTemporalConditionModel.Build(weights, config, frames), cache: cache))
        {
            first = network.Run(Inputs(io))["out_sample"];
            graph = Path.Combine(cache.Folder, cache.Key(network.Model) + ".onnx");
        }

        var whole = File.ReadAllBytes(graph);
        File.WriteAllBytes(graph, whole.AsSpan(0, whole.Length / 2).ToArray());

        using (var network = OnnxNetwork.Create(UNetSpatioTemporalConditionModel.Build(weights, config, frames), cache: cache))
        {
            Assert.Equal(first.Data, network.Run(Inputs(io))["out_sample"].Data);
        }

        Assert.Equal(whole.Length, new FileInfo(graph).Length);
        Assert.Empty(Directory.GetDirectories(cache.Folder));
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void A_cache_folder_that_cannot_be_made_still_gives_a_working_session(string set)
    {
        using var temp = new TempFolder();
        var (weightsPath, config, io) = Unet(set, temp);
        using var _ = io;
        var blocker = temp.Write("not-a-folder", "a file where the cache's parent folder would be");
        var cache = new OptimizedModelCache(Path.Combine(blocker, "graphs"), "cpu");

        using var weights = Checkpoint.Open(weightsPath);
        var frames = (int)io["sample"].Shape[1];
        using var uncached = OnnxNetwork.Create(UNetSpatioTemporalConditionModel.Build(weights, config, frames));
        using var network = OnnxNetwork.Create(UNetSpatioTemporalConditionModel.Build(weights, config, frames), cache: cache);

        Assert.Equal(uncached.Run(Inputs(io))["out_sample"].Data, network.Run(Inputs(io))["out_sample"].Data);
        Assert.True(File.Exists(blocker));
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void An_entry_that_cannot_be_written_still_gives_a_working_session_and_leaves_nothing_behind(string set)
    {
        // ONNX Runtime writes the optimized graph while it creates the session: a failed write (a disk that fills up;
        // here a folder where its data file goes) used to fail the session itself and end the run.
        using var temp = new TempFolder();
        var (weightsPath, config, io) = Unet(set, temp);
        using var _ = io;
        using var weights = Checkpoint.Open(weightsPath);
        var frames = (int)io["sample"].Shape[1];
        var model = UNetSpatioTemporalConditionModel.Build(weights, config, frames);
        var obstacles = 0;
        var cache = new OptimizedModelCache(temp["cache"], "cpu")
        {
            BeforeOptimizing = folder =>
            {
                Directory.CreateDirectory(Path.Combine(folder, Path.GetFileName(folder).Split(".tmp-")[0] + ".data"));
                obstacles++;
            },
        };

        using var network = OnnxNetwork.Create(model, cache: cache);

        Assert.Equal(1, obstacles);
        FixtureSets.AssertClose(FixtureSets.Read(io, "out_sample"), network.Run(Inputs(io))["out_sample"], 1e-4, "out_sample without a saved entry");
        Assert.False(File.Exists(Path.Combine(cache.Folder, cache.Key(model) + ".onnx")), "an entry was saved although its data could not be written");
        Assert.Empty(Directory.GetDirectories(cache.Folder));
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void The_key_changes_with_the_weight_file_the_device_and_the_graph(string set)
    {
        using var temp = new TempFolder();
        var (weightsPath, config, io) = Unet(set, temp);
        using var _ = io;
        using var weights = Checkpoint.Open(weightsPath);
        var model = UNetSpatioTemporalConditionModel.Build(weights, config, 2);
        var cpu = new OptimizedModelCache(temp["cache"], "cpu");

        var key = cpu.Key(model);
        Assert.Equal(key, cpu.Key(UNetSpatioTemporalConditionModel.Build(weights, config, 2)));
        Assert.NotEqual(key, cpu.Key(UNetSpatioTemporalConditionModel.Build(weights, config, 3)));
        Assert.NotEqual(key, new OptimizedModelCache(temp["cache"], "cuda").Key(model));
        File.SetLastWriteTimeUtc(weightsPath, File.GetLastWriteTimeUtc(weightsPath).AddSeconds(5));
        Assert.NotEqual(key, cpu.Key(model));
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public async Task Two_loads_at_once_both_work_and_leave_one_complete_entry(string set)
    {
        using var temp = new TempFolder();
        var (weightsPath, config, io) = Unet(set, temp);
        using var _ = io;
        var cache = new OptimizedModelCache(temp["cache"], "cpu");
        var inputs = Inputs(io);

        var runs = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            using var weights = Checkpoint.Open(weightsPath);
            using var network = OnnxNetwork.Create(UNetSpatioTemporalConditionModel.Build(weights, config, (int)io["sample"].Shape[1]), cache: cache);
            return network.Run(inputs)["out_sample"];
        })));

        Assert.Equal(runs[0].Data, runs[1].Data);
        Assert.Single(Directory.GetFiles(cache.Folder, "*.onnx"));
        Assert.Empty(Directory.GetDirectories(cache.Folder));
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void An_fp16_unet_computed_in_float32_has_a_widened_form_that_computes_what_its_cast_form_computes(string set)
    {
        using var temp = new TempFolder();
        var (weightsPath, config, io) = Unet(set, temp);
        using var _ = io;
        var halfPath = HalfPrecision.Convert(weightsPath, temp["unet/weights.fp16.safetensors"]);
        using var weights = Checkpoint.Open(halfPath);
        var frames = (int)io["sample"].Shape[1];
        var model = UNetSpatioTemporalConditionModel.Build(weights, config, frames);
        var widened = Assert.IsType<WidenedWeights>(model.Widened);

        // The file holds every weight as float32 at its offset, each exactly the widened fp16 value.
        var folder = Directory.CreateDirectory(temp["widened"]).FullName;
        widened.Write(folder);
        Assert.Equal(model.Weights.Count, widened.Tensors.Count);
        using (var file = File.OpenRead(Path.Combine(folder, widened.FileName)))
        {
            foreach (var (tensor, offset) in widened.Tensors)
            {
                var stored = new byte[tensor.ElementCount * sizeof(float)];
                file.Position = offset;
                file.ReadExactly(stored);
                Assert.Equal(weights.ReadFloat32(tensor.Name), System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(stored).ToArray());
            }
        }

        using var options = new Microsoft.ML.OnnxRuntime.SessionOptions();
        options.AddSessionConfigEntry("session.model_external_initializers_file_folder_path", folder);
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(widened.Proto, options);
        using var castForm = OnnxNetwork.Create(model);
        var expected = castForm.Run(Inputs(io))["out_sample"];
        FixtureSets.AssertClose(expected, new FloatTensor(OutSample(session, io), expected.Shape), FloatAccumulation.UNetEvaluation(config), "widened form vs cast form");

        // Through the cache: the cold start optimizes the widened form, keeps no copy of it, and the warm start agrees.
        var cache = new OptimizedModelCache(temp["cache"], "cpu");
        FloatTensor cold;
        using (var network = OnnxNetwork.Create(model, cache: cache))
        {
            cold = network.Run(Inputs(io))["out_sample"];
        }

        // A cold start that reopens its saved entry (as the engine's does) runs what a warm start runs (its session
        // options, and so ONNX Runtime's thread split, are the caller's: the sums may run in another order).
        var reopening = new OptimizedModelCache(temp["cache-reopened"], "cpu");
        FloatTensor reopened;
        using (var network = OnnxNetwork.Create(model, cache: reopening, moreOptions: () => new Microsoft.ML.OnnxRuntime.SessionOptions()))
        {
            reopened = network.Run(Inputs(io))["out_sample"];
        }

        Assert.Empty(Directory.GetDirectories(reopening.Folder));

        Assert.Empty(Directory.GetDirectories(cache.Folder));
        Assert.Empty(Directory.GetFiles(cache.Folder, widened.FileName, SearchOption.AllDirectories));
        using var warm = OnnxNetwork.Create(UNetSpatioTemporalConditionModel.Build(weights, config, frames), cache: cache);
        FixtureSets.AssertClose(expected, cold, FloatAccumulation.UNetEvaluation(config), "cold start from the widened form");
        var warmOutput = warm.Run(Inputs(io))["out_sample"];
        FixtureSets.AssertClose(cold, warmOutput, FloatAccumulation.UNetEvaluation(config), "warm start vs cold start");
        FixtureSets.AssertClose(warmOutput, reopened, FloatAccumulation.UNetEvaluation(config), "reopened cold start vs warm start");
    }

    [Theory]
    [MemberData(nameof(Sets))]
    public void Float32_weights_and_fp16_graphs_have_no_widened_form(string set)
    {
        using var temp = new TempFolder();
        var (weightsPath, config, io) = Unet(set, temp);
        using var _ = io;
        using var weights = Checkpoint.Open(weightsPath);
        Assert.Null(UNetSpatioTemporalConditionModel.Build(weights, config, 2).Widened);
        using var half = Checkpoint.Open(HalfPrecision.Convert(weightsPath, temp["unet/weights.fp16.safetensors"]));
        Assert.Null(UNetSpatioTemporalConditionModel.Build(half, config, 2, Precision.Float16).Widened);
        Assert.NotNull(UNetSpatioTemporalConditionModel.Build(half, config, 2, Precision.Float32).Widened);
    }

    private static (string WeightsPath, UNetSpatioTemporalConditionModel.Config Config, Checkpoint Io) Unet(string set, TempFolder temp)
    {
        var folder = FixtureSets.Folder(set, "unet");
        var weightsPath = temp["unet/weights.safetensors"];
        Directory.CreateDirectory(Path.GetDirectoryName(weightsPath)!);
        File.Copy(Path.Combine(folder, "weights.safetensors"), weightsPath);
        return (weightsPath, UNetSpatioTemporalConditionModel.Config.From(ModelConfig.Load(Path.Combine(folder, "config.json"))), Checkpoint.Open(Path.Combine(folder, "io.safetensors")));
    }

    /// <summary>The fields of a model's graph, each as the bytes it was written with.</summary>
    private static List<(int Field, byte[] Bytes)> GraphFields(byte[] model)
    {
        var fields = new List<(int, byte[])>();
        var top = new ProtoReader(model);
        while (top.Next())
        {
            if (top.Field == OnnxSchema.Model.Graph)
            {
                var graph = new ProtoReader(top.Payload);
                while (graph.Next())
                {
                    fields.Add((graph.Field, graph.Raw.ToArray()));
                }
            }
        }

        return fields;
    }

    /// <summary>A graph input's name, element type and shape (its bytes; null when it has none).</summary>
    private static (string Name, long ElementType, byte[]? Shape) InputType(byte[] inputField)
    {
        var field = new ProtoReader(inputField);
        Assert.True(field.Next());
        string? name = null;
        long elementType = 0;
        byte[]? shape = null;
        var valueInfo = new ProtoReader(field.Payload);
        while (valueInfo.Next())
        {
            if (valueInfo.Field == OnnxSchema.ValueInfo.Name)
            {
                name = System.Text.Encoding.UTF8.GetString(valueInfo.Payload);
            }
            else if (valueInfo.Field == OnnxSchema.ValueInfo.Type)
            {
                var type = new ProtoReader(valueInfo.Payload);
                while (type.Next())
                {
                    var tensor = new ProtoReader(type.Payload);
                    while (tensor.Next())
                    {
                        if (tensor.Field == OnnxSchema.TypeProto.ElemType && !tensor.IsLengthDelimited)
                        {
                            elementType = (long)tensor.Number;
                        }
                        else if (tensor.Field == OnnxSchema.TypeProto.Shape)
                        {
                            shape = tensor.Payload.ToArray();
                        }
                    }
                }
            }
        }

        return (name ?? throw new InvalidDataException("an input without a name"), elementType, shape);
    }

    /// <summary>The UNet's output from a session made outside <see cref="OnnxNetwork"/>, on the fixture's inputs.</summary>
    private static float[] OutSample(Microsoft.ML.OnnxRuntime.InferenceSession session, Checkpoint io)
    {
        using var results = session.Run(Inputs(io).Select(pair => Microsoft.ML.OnnxRuntime.NamedOnnxValue.CreateFromTensor(pair.Key, new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(pair.Value.Data, pair.Value.Shape.Select(d => (int)d).ToArray()))).ToList());
        return results.First(r => r.Name == "out_sample").AsEnumerable<float>().ToArray();
    }

    private static Dictionary<string, FloatTensor> Inputs(Checkpoint io) => new()
    {
        ["sample"] = FixtureSets.Read(io, "sample"),
        ["timestep"] = FixtureSets.Read(io, "timestep"),
        ["encoder_hidden_states"] = FixtureSets.Read(io, "encoder_hidden_states"),
        ["added_time_ids"] = FixtureSets.Read(io, "added_time_ids"),
    };
}
