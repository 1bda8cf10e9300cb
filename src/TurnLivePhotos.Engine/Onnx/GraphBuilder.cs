using System.Runtime.InteropServices;
using TurnLivePhotos.Engine.Weights;

namespace TurnLivePhotos.Engine.Onnx;

/// <summary>A value flowing through the graph, named as in the ONNX model.</summary>
public readonly record struct Value(string Name);

/// <summary>A node attribute.</summary>
public abstract record Attr(string Name)
{
    public static Attr Int(string name, long value) => new IntAttr(name, value);

    public static Attr Ints(string name, params long[] values) => new IntsAttr(name, values);

    public static Attr Float(string name, float value) => new FloatAttr(name, value);

    public static Attr String(string name, string value) => new StringAttr(name, value);

    /// <summary>A subgraph (the body of a Loop), from <see cref="GraphBuilder.Subgraph"/>.</summary>
    public static Attr Graph(string name, GraphBuilder body, string graphName) => new GraphAttr(name, body, graphName);
}

internal sealed record IntAttr(string Name, long Value) : Attr(Name);

internal sealed record IntsAttr(string Name, long[] Values) : Attr(Name);

internal sealed record FloatAttr(string Name, float Value) : Attr(Name);

internal sealed record StringAttr(string Name, string Value) : Attr(Name);

internal sealed record GraphAttr(string Name, GraphBuilder Body, string GraphName) : Attr(Name);

/// <summary>The element type a graph computes in. Inputs and outputs stay float32 at the edges either way.</summary>
public enum Precision
{
    Float32,

    /// <summary>For GPU execution providers: weights and activations in fp16; normalisation statistics and attention scores in fp32.</summary>
    Float16,
}

/// <summary>
/// How <see cref="Ops.MultiHeadAttention"/> is computed. Neither form materializes the whole score matrix, which
/// at 1024×576 is 9216² floats per frame and head (its size for a whole step is in docs/benchmarks.md).
/// </summary>
public enum AttentionKernel
{
    /// <summary>
    /// ONNX Runtime's contrib op <c>com.microsoft.MultiHeadAttention</c>: a flash-attention kernel on the CPU (fp32,
    /// score tiles sized to the L2 cache), flash / memory-efficient kernels on CUDA, DirectML's fused operator.
    /// </summary>
    Fused,

    /// <summary>
    /// Plain ONNX ops for providers without the contrib op: a Loop over blocks of query rows, each block's scores
    /// bounded to <see cref="QueryChunkedAttention.ScoreElements"/> elements (scores and softmax in fp32).
    /// </summary>
    Chunked,
}

/// <summary>A model ready for ONNX Runtime: its protobuf (structure and small constants only) and the weights it names.</summary>
public sealed record OnnxModel(byte[] Proto, IReadOnlyList<WeightTensor> Weights, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs)
{
    /// <summary>The same graph with its narrow weights as float32 in one file of their own, when it computes in float32; see <see cref="WidenedWeights"/>.</summary>
    public WidenedWeights? Widened { get; init; }
}

/// <summary>
/// Builds an ONNX graph in memory. Network weights are initializers stored as ONNX "external data" that points
/// straight into the safetensors files (file name, byte offset, length), so the protobuf holds only the graph's
/// structure whatever the model size (the real UNet's weights exceed protobuf's 2 GB message limit). See
/// <see cref="OnnxNetwork"/> for why this form was chosen.
/// </summary>
public sealed class GraphBuilder
{
    /// <summary>The data file of a graph's widened form (see <see cref="WidenedWeights"/>), in a folder of its own.</summary>
    private const string WidenedFileName = "weights.fp32";

    private readonly List<Action<ProtoWriter>> nodes = [];
    private readonly List<Action<ProtoWriter>> constants = [];
    private readonly List<(string Name, OnnxType Type, long?[] Shape)> inputs = [];
    private readonly List<(string Name, OnnxType Type)> outputs = [];
    private readonly Dictionary<string, Value> boundWeights = [];
    private readonly Dictionary<string, (Value Value, OnnxType Type)> storedWeights = [];
    private readonly List<WeightTensor> boundTensors = [];
    private readonly HashSet<string> directInitializers = [];
    private readonly Dictionary<string, string> widenedNames = [];
    private readonly HashSet<int> weightCasts = [];
    private readonly SortedSet<string> contribDomains = [];
    private readonly IWeightSource? source;
    private readonly string namePrefix;
    private int counter;
    private bool narrowWeightUsedAsStored;
    private Dictionary<WeightTensor, WidenedTensor>? widening;

    /// <param name="weights">Where named weights come from (a checkpoint, or an inventory that records them); null for graphs made of constants only.</param>
    /// <param name="precision">The element type the graph computes in.</param>
    /// <param name="attention">How attention is computed.</param>
    public GraphBuilder(IWeightSource? weights, Precision precision = Precision.Float32, AttentionKernel attention = AttentionKernel.Fused)
        : this(weights, precision, attention, string.Empty)
    {
    }

    private GraphBuilder(IWeightSource? weights, Precision precision, AttentionKernel attention, string namePrefix)
    {
        source = weights;
        this.namePrefix = namePrefix;
        Precision = precision;
        Attention = attention;
    }

    public Precision Precision { get; }

    public AttentionKernel Attention { get; }

    /// <summary>The ONNX element type of activations, weights and <see cref="Scalar"/> constants.</summary>
    public OnnxType ComputeType => Precision == Precision.Float16 ? OnnxType.Float16 : OnnxType.Float;

    /// <summary>True when some weight was only recorded, not bound: such a graph describes a network but cannot run.</summary>
    public bool IsRecording { get; private set; }

    /// <summary>A float32 graph input, cast to the compute type.</summary>
    public Value Input(string name, params long?[] shape)
    {
        inputs.Add((name, OnnxType.Float, shape));
        return ToCompute(new Value(name));
    }

    /// <summary>A float32 graph input kept in float32 whatever the compute type (timesteps: fp16 would round 0.25·ln σ).</summary>
    public Value InputFloat32(string name, params long?[] shape)
    {
        inputs.Add((name, OnnxType.Float, shape));
        return new Value(name);
    }

    /// <summary>A float32 graph output.</summary>
    public void Output(Value value, string name)
    {
        OpMany("Identity", [ToFloat32(value)], [], 1, outputName: null, exactName: name);
        outputs.Add((name, OnnxType.Float));
    }

    public Value ToFloat32(Value value) => Precision == Precision.Float32 ? value : Cast(value, OnnxType.Float);

    public Value ToCompute(Value value) => Precision == Precision.Float32 ? value : Cast(value, ComputeType);

    public Value Cast(Value value, OnnxType type) => Op("Cast", [value], [Attr.Int("to", (long)type)]);

    /// <summary>A named weight of the declared shape, in the compute type (cast in the graph when the file holds another type).</summary>
    public Value Weight(string name, params long[] shape) => Weight(name, shape, ComputeType);

    /// <summary>A named weight of the declared shape as float32, for the parts that always compute in fp32 (normalisation).</summary>
    public Value Weight32(string name, params long[] shape) => Weight(name, shape, OnnxType.Float);

    /// <summary>
    /// A builder on the same weight source whose graph is thrown away: for modules the module tree holds but the
    /// forward pass never runs (diffusers builds them and skips them), so their weights are still checked against
    /// the checkpoint, or recorded, without entering this graph.
    /// </summary>
    public GraphBuilder Detached() => new(source, Precision, Attention);

    private IWeightSource Source => source ?? throw new InvalidOperationException("this graph has no weights");

    private Value Weight(string name, long[] shape, OnnxType type)
    {
        var key = $"{name}@{type}";
        if (boundWeights.TryGetValue(key, out var bound))
        {
            return bound;
        }

        var stored = StoredWeight(name, shape);
        Value value;
        if (stored.Type == type)
        {
            value = stored.Value;
            narrowWeightUsedAsStored |= type != OnnxType.Float;
        }
        else
        {
            var castNode = nodes.Count;
            value = Op("Cast", [stored.Value], [Attr.Int("to", (long)type)], $"{name}.as_{type}");
            if (type == OnnxType.Float && directInitializers.Contains(stored.Value.Name))
            {
                // The widened form names the float32 initializer after this Cast's output and leaves the Cast out.
                weightCasts.Add(castNode);
                widenedNames[stored.Value.Name] = value.Name;
            }
            else
            {
                narrowWeightUsedAsStored = true;
            }
        }

        boundWeights[key] = value;
        return value;
    }

    private (Value Value, OnnxType Type) StoredWeight(string name, long[] shape)
    {
        if (storedWeights.TryGetValue(name, out var stored))
        {
            return stored;
        }

        var value = new Value(name);
        var tensor = Source.Bind(name, shape);
        if (tensor is null)
        {
            IsRecording = true;
            storedWeights[name] = (value, ComputeType);
            return storedWeights[name];
        }

        boundTensors.Add(tensor);
        var storedName = tensor.StoredTransposed ? name + ".stored" : name;
        if (!tensor.StoredTransposed)
        {
            directInitializers.Add(storedName);
        }

        constants.Add(w => w.Message(OnnxSchema.Graph.Initializer, t =>
        {
            var widened = widening?[tensor];
            t.PackedInts(OnnxSchema.Tensor.Dims, tensor.StoredTransposed ? [.. tensor.Shape.Reverse()] : tensor.Shape);
            t.Int(OnnxSchema.Tensor.DataType, (long)(widened is null ? ToOnnxType(tensor.Type) : OnnxType.Float));
            t.String(OnnxSchema.Tensor.Name, widened is null ? storedName : widenedNames.GetValueOrDefault(storedName, storedName));
            ExternalEntry(t, "location", widened is null ? Path.GetFileName(tensor.File.Path) : WidenedFileName);
            ExternalEntry(t, "offset", (widened?.Offset ?? tensor.Offset).ToString(System.Globalization.CultureInfo.InvariantCulture));
            ExternalEntry(t, "length", (widened?.ByteLength ?? tensor.ByteLength).ToString(System.Globalization.CultureInfo.InvariantCulture));
            t.Int(OnnxSchema.Tensor.DataLocation, OnnxSchema.Tensor.DataLocationExternal);
        }));
        if (tensor.StoredTransposed)
        {
            value = Op("Transpose", [new Value(storedName)], [Attr.Ints("perm", 1, 0)], name);
        }

        storedWeights[name] = (value, ToOnnxType(tensor.Type));
        return storedWeights[name];
    }

    /// <summary>
    /// A builder for a subgraph (a Loop body): its own inputs and outputs, values of this graph visible by name,
    /// names of its own kept distinct by a prefix. Weights are bound in the outer graph.
    /// </summary>
    public GraphBuilder Subgraph() => new(null, Precision, Attention, $"{namePrefix}sub{counter++}/");

    /// <summary>A graph input of any element type (a Loop body's iteration number and condition).</summary>
    public Value TypedInput(string name, OnnxType type, params long?[] shape)
    {
        inputs.Add((namePrefix + name, type, shape));
        return new Value(namePrefix + name);
    }

    /// <summary>A graph output of any element type, the value as it is.</summary>
    public void TypedOutput(Value value, string name, OnnxType type)
    {
        OpMany("Identity", [value], [], 1, outputName: null, exactName: namePrefix + name);
        outputs.Add((namePrefix + name, type));
    }

    /// <summary>A constant in the compute type.</summary>
    public Value Constant(float[] data, params long[] shape)
    {
        if (Precision == Precision.Float32)
        {
            return Float32Constant(data, shape);
        }

        var halves = new Half[data.Length];
        System.Numerics.Tensors.TensorPrimitives.ConvertToHalf(data, halves);
        return AddConstant(OnnxType.Float16, MemoryMarshal.AsBytes(halves.AsSpan()).ToArray(), shape);
    }

    /// <summary>A float32 constant whatever the compute type (Resize scales, normalisation parameters).</summary>
    public Value Float32Constant(float[] data, params long[] shape) => AddConstant(OnnxType.Float, MemoryMarshal.AsBytes(data.AsSpan()).ToArray(), shape);

    public Value Constant(long[] data, params long[] shape) => AddConstant(OnnxType.Int64, MemoryMarshal.AsBytes(data.AsSpan()).ToArray(), shape);

    public Value Scalar(float value) => Constant([value]);

    public Value Ints(params long[] values) => Constant(values, values.Length);

    public Value Op(string opType, Value[] inputs, Attr[] attributes, string? outputName = null) =>
        OpMany(opType, inputs, attributes, 1, outputName)[0];

    /// <summary>An ONNX Runtime contrib op (domain <c>com.microsoft</c>, opset 1), e.g. the fused MultiHeadAttention.</summary>
    public Value ContribOp(string opType, Value[] inputs, Attr[] attributes, string? outputName = null)
    {
        contribDomains.Add(OnnxSchema.MicrosoftDomain);
        return OpMany(opType, inputs, attributes, 1, outputName, domain: OnnxSchema.MicrosoftDomain)[0];
    }

    public Value[] OpMany(string opType, Value[] inputValues, Attr[] attributes, int outputCount, string? outputName = null, string? exactName = null, string? domain = null)
    {
        // Named ops (a layer's prefix) keep the name readable but get the op type appended, so graph outputs and
        // intermediate probes may reuse the bare module name.
        var baseName = exactName ?? (outputName is null ? $"{namePrefix}{opType}_{counter++}" : $"{namePrefix}{outputName}/{opType}");
        var results = Enumerable.Range(0, outputCount).Select(i => new Value(i == 0 ? baseName : $"{baseName}:{i}")).ToArray();
        nodes.Add(w => w.Message(OnnxSchema.Graph.Node, n =>
        {
            foreach (var input in inputValues)
            {
                n.String(OnnxSchema.Node.Input, input.Name);
            }

            foreach (var output in results)
            {
                n.String(OnnxSchema.Node.Output, output.Name);
            }

            n.String(OnnxSchema.Node.Name, baseName);
            n.String(OnnxSchema.Node.OpType, opType);
            if (domain is not null)
            {
                n.String(OnnxSchema.Node.Domain, domain);
            }

            foreach (var attribute in attributes)
            {
                n.Message(OnnxSchema.Node.Attribute, a => WriteAttribute(a, attribute));
            }
        }));
        return results;
    }

    public OnnxModel Build(string graphName)
    {
        if (IsRecording)
        {
            throw new InvalidOperationException($"{graphName}: a graph built against a weight inventory records names and shapes; it cannot run");
        }

        var model = new OnnxModel(Write(graphName), boundTensors, inputs.Select(i => i.Name).ToList(), outputs.Select(o => o.Name).ToList());
        if (Precision != Precision.Float32 || widenedNames.Count == 0 || narrowWeightUsedAsStored)
        {
            return model;
        }

        var layout = WidenedWeights.Layout(boundTensors);
        widening = layout.ToDictionary<WidenedTensor, WeightTensor>(placed => placed.Tensor, ReferenceEqualityComparer.Instance);
        try
        {
            return model with { Widened = new WidenedWeights(Write(graphName), WidenedFileName, layout) };
        }
        finally
        {
            widening = null;
        }
    }

    private byte[] Write(string graphName)
    {
        var writer = new ProtoWriter();
        writer.Int(OnnxSchema.Model.IrVersion, OnnxSchema.IrVersion);
        writer.String(OnnxSchema.Model.ProducerName, "TurnLivePhotos");
        writer.Message(OnnxSchema.Model.OpsetImport, o =>
        {
            o.String(OnnxSchema.OperatorSet.Domain, string.Empty);
            o.Int(OnnxSchema.OperatorSet.Version, OnnxSchema.Opset);
        });
        foreach (var domain in contribDomains)
        {
            writer.Message(OnnxSchema.Model.OpsetImport, o =>
            {
                o.String(OnnxSchema.OperatorSet.Domain, domain);
                o.Int(OnnxSchema.OperatorSet.Version, OnnxSchema.MicrosoftOpset);
            });
        }
        writer.Message(OnnxSchema.Model.Graph, g => WriteGraph(g, graphName));
        return writer.ToArray();
    }

    private void WriteGraph(ProtoWriter g, string graphName)
    {
        for (var i = 0; i < nodes.Count; i++)
        {
            if (widening is null || !weightCasts.Contains(i))
            {
                nodes[i](g);
            }
        }

        g.String(OnnxSchema.Graph.Name, graphName);
        constants.ForEach(constant => constant(g));
        foreach (var (name, type, shape) in inputs)
        {
            g.Message(OnnxSchema.Graph.Input, v => WriteValueInfo(v, name, type, shape));
        }

        foreach (var (name, type) in outputs)
        {
            g.Message(OnnxSchema.Graph.Output, v => WriteValueInfo(v, name, type, null));
        }
    }

    private static void ExternalEntry(ProtoWriter tensor, string key, string value) =>
        tensor.Message(OnnxSchema.Tensor.ExternalData, entry =>
        {
            entry.String(OnnxSchema.Tensor.EntryKey, key);
            entry.String(OnnxSchema.Tensor.EntryValue, value);
        });

    private static OnnxType ToOnnxType(WeightType type) => type switch
    {
        WeightType.Float32 => OnnxType.Float,
        WeightType.Float16 => OnnxType.Float16,
        _ => OnnxType.BFloat16,
    };

    private void WriteAttribute(ProtoWriter a, Attr attribute)
    {
        a.String(OnnxSchema.Attribute.Name, attribute.Name);
        switch (attribute)
        {
            case IntAttr i:
                a.Int(OnnxSchema.Attribute.I, i.Value);
                a.Int(OnnxSchema.Attribute.Type, OnnxSchema.Attribute.TypeInt);
                break;
            case IntsAttr ints:
                a.PackedInts(OnnxSchema.Attribute.Ints, ints.Values);
                a.Int(OnnxSchema.Attribute.Type, OnnxSchema.Attribute.TypeInts);
                break;
            case FloatAttr f:
                a.Float(OnnxSchema.Attribute.F, f.Value);
                a.Int(OnnxSchema.Attribute.Type, OnnxSchema.Attribute.TypeFloat);
                break;
            case StringAttr s:
                a.String(OnnxSchema.Attribute.S, s.Value);
                a.Int(OnnxSchema.Attribute.Type, OnnxSchema.Attribute.TypeString);
                break;
            case GraphAttr graph:
                a.Message(OnnxSchema.Attribute.G, body => graph.Body.WriteGraph(body, namePrefix + graph.GraphName));
                a.Int(OnnxSchema.Attribute.Type, OnnxSchema.Attribute.TypeGraph);
                break;
        }
    }

    private static void WriteValueInfo(ProtoWriter v, string name, OnnxType type, long?[]? shape)
    {
        v.String(OnnxSchema.ValueInfo.Name, name);
        v.Message(OnnxSchema.ValueInfo.Type, t => t.Message(OnnxSchema.TypeProto.TensorType, tensor =>
        {
            tensor.Int(OnnxSchema.TypeProto.ElemType, (long)type);
            if (shape is null)
            {
                return;
            }

            tensor.Message(OnnxSchema.TypeProto.Shape, s =>
            {
                for (var i = 0; i < shape.Length; i++)
                {
                    var index = i;
                    s.Message(OnnxSchema.TypeProto.Dim, d =>
                    {
                        if (shape[index] is { } fixedSize)
                        {
                            d.Int(OnnxSchema.TypeProto.DimValue, fixedSize);
                        }
                        else
                        {
                            d.String(OnnxSchema.TypeProto.DimParam, $"{name}_d{index}");
                        }
                    });
                }
            });
        }));
    }

    private Value AddConstant(OnnxType type, byte[] raw, long[] shape)
    {
        var name = $"{namePrefix}const_{counter++}";
        constants.Add(w => w.Message(OnnxSchema.Graph.Initializer, t =>
        {
            t.PackedInts(OnnxSchema.Tensor.Dims, shape);
            t.Int(OnnxSchema.Tensor.DataType, (long)type);
            t.String(OnnxSchema.Tensor.Name, name);
            t.Bytes(OnnxSchema.Tensor.RawData, raw);
        }));
        return new Value(name);
    }
}
