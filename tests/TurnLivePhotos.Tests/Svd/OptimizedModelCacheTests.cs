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

    private static (string WeightsPath, UNetSpatioTemporalConditionModel.Config Config, Checkpoint Io) Unet(string set, TempFolder temp)
    {
        var folder = FixtureSets.Folder(set, "unet");
        var weightsPath = temp["unet/weights.safetensors"];
        Directory.CreateDirectory(Path.GetDirectoryName(weightsPath)!);
        File.Copy(Path.Combine(folder, "weights.safetensors"), weightsPath);
        return (weightsPath, UNetSpatioTemporalConditionModel.Config.From(ModelConfig.Load(Path.Combine(folder, "config.json"))), Checkpoint.Open(Path.Combine(folder, "io.safetensors")));
    }

    private static Dictionary<string, FloatTensor> Inputs(Checkpoint io) => new()
    {
        ["sample"] = FixtureSets.Read(io, "sample"),
        ["timestep"] = FixtureSets.Read(io, "timestep"),
        ["encoder_hidden_states"] = FixtureSets.Read(io, "encoder_hidden_states"),
        ["added_time_ids"] = FixtureSets.Read(io, "added_time_ids"),
    };
}
