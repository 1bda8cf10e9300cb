using System.Buffers.Binary;
using System.Text;

namespace TurnLivePhotos.Engine.Weights.Torch;

/// <summary>
/// A pickle reader that understands exactly what <c>torch.save(state_dict)</c> writes and nothing more; it never
/// imports or calls anything named in the file. The opcodes are those of pickle protocols 2–4 that build tuples,
/// lists, dicts, strings and numbers (see CPython's <c>Lib/pickletools.py</c> for their definitions); the only
/// callables it knows are the few a state dict names — <c>collections.OrderedDict</c>,
/// <c>torch._utils._rebuild_tensor_v2</c>, <c>torch._utils._rebuild_parameter</c> — which it imitates itself, and
/// the <c>torch.*Storage</c> classes that persistent ids (<c>('storage', class, key, location, numel)</c>, as
/// <c>torch/serialization.py</c> writes them) refer to. Any other GLOBAL is refused when it is read, before any
/// REDUCE could apply it. Python's standard library has no such restricted reader and none in .NET reads pickle,
/// so this one is our own.
/// </summary>
internal sealed class StateDictUnpickler
{
    private static readonly Dictionary<string, TorchDType> StorageTypes = new(StringComparer.Ordinal)
    {
        ["FloatStorage"] = TorchDType.Float32,
        ["HalfStorage"] = TorchDType.Float16,
        ["BFloat16Storage"] = TorchDType.BFloat16,
        ["DoubleStorage"] = TorchDType.Float64,
        ["LongStorage"] = TorchDType.Int64,
        ["IntStorage"] = TorchDType.Int32,
        ["ShortStorage"] = TorchDType.Int16,
        ["CharStorage"] = TorchDType.Int8,
        ["ByteStorage"] = TorchDType.UInt8,
        ["BoolStorage"] = TorchDType.Bool,
    };

    private readonly byte[] data;
    private readonly TorchCheckpointLimits limits;
    private readonly Func<string, TorchDType, long, TorchStorage> loadStorage;
    private readonly List<object?> stack = [];
    private readonly Stack<int> marks = new();
    private readonly Dictionary<long, object?> memo = [];
    private int position;
    private int tensorCount;

    /// <param name="loadStorage">Gives the storage <c>data/KEY</c> of a type and element count, checked against its zip entry.</param>
    public StateDictUnpickler(byte[] data, TorchCheckpointLimits limits, Func<string, TorchDType, long, TorchStorage> loadStorage)
    {
        this.data = data;
        this.limits = limits;
        this.loadStorage = loadStorage;
    }

    /// <summary>The state dict: tensor names to tensors, in the file's order.</summary>
    public IReadOnlyList<TorchTensor> Read()
    {
        var result = Run();
        if (result is not PickleDict dict)
        {
            throw Bad($"the pickle holds {Describe(result)}, not a state dict");
        }

        var tensors = new List<TorchTensor>(dict.Items.Count);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in dict.Items)
        {
            if (key is not string name)
            {
                throw Bad($"a state-dict key is {Describe(key)}, not a string");
            }

            if (value is not TorchTensor tensor)
            {
                throw Bad($"'{name}' holds {Describe(value)}, not a tensor");
            }

            if (!names.Add(name))
            {
                throw Bad($"'{name}' appears twice");
            }

            tensors.Add(tensor with { Name = name });
        }

        return tensors;
    }

    private object? Run()
    {
        long executed = 0;
        while (true)
        {
            if (++executed > limits.MaxOpcodes)
            {
                throw Bad($"more than {limits.MaxOpcodes} opcodes");
            }

            var at = position;
            var op = ReadByte();
            switch (op)
            {
                case 0x80: // PROTO
                    var protocol = ReadByte();
                    if (protocol > 5)
                    {
                        throw Bad($"pickle protocol {protocol} is unknown");
                    }

                    break;
                case 0x95: // FRAME: a length hint only
                    Take(8);
                    break;
                case (byte)'.': // STOP
                    if (stack.Count != 1 || marks.Count != 0)
                    {
                        throw Bad($"STOP with {stack.Count} values on the stack");
                    }

                    return stack[0];
                case (byte)'}':
                    Push(new PickleDict());
                    break;
                case (byte)']':
                    Push(new List<object?>());
                    break;
                case (byte)')':
                    Push(Array.Empty<object?>());
                    break;
                case (byte)'(': // MARK
                    if (marks.Count >= limits.MaxNesting)
                    {
                        throw Bad($"MARKs nest deeper than {limits.MaxNesting}");
                    }

                    marks.Push(stack.Count);
                    break;
                case (byte)'t': // TUPLE
                    Push(PopMark().ToArray());
                    break;
                case 0x85:
                    Push(new[] { Pop() });
                    break;
                case 0x86:
                    {
                        var b = Pop();
                        var a = Pop();
                        Push(new[] { a, b });
                        break;
                    }

                case 0x87:
                    {
                        var c = Pop();
                        var b = Pop();
                        var a = Pop();
                        Push(new[] { a, b, c });
                        break;
                    }

                case (byte)'N':
                    Push(null);
                    break;
                case 0x88:
                    Push(true);
                    break;
                case 0x89:
                    Push(false);
                    break;
                case (byte)'K': // BININT1
                    Push((long)ReadByte());
                    break;
                case (byte)'M': // BININT2
                    Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2)));
                    break;
                case (byte)'J': // BININT
                    Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4)));
                    break;
                case 0x8a: // LONG1: little-endian two's complement of n bytes
                    Push(ReadLong(ReadByte()));
                    break;
                case (byte)'G': // BINFLOAT (big-endian)
                    Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8)));
                    break;
                case (byte)'X': // BINUNICODE
                    Push(ReadString(BinaryPrimitives.ReadUInt32LittleEndian(Take(4))));
                    break;
                case 0x8c: // SHORT_BINUNICODE
                    Push(ReadString(ReadByte()));
                    break;
                case (byte)'c': // GLOBAL "module\nname\n"
                    Push(Global(ReadLine(), ReadLine()));
                    break;
                case 0x93: // STACK_GLOBAL
                    {
                        var name = Pop() as string ?? throw Bad("STACK_GLOBAL needs two strings");
                        var module = Pop() as string ?? throw Bad("STACK_GLOBAL needs two strings");
                        Push(Global(module, name));
                        break;
                    }

                case (byte)'q': // BINPUT
                    Memoize(ReadByte());
                    break;
                case (byte)'r': // LONG_BINPUT
                    Memoize(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)));
                    break;
                case 0x94: // MEMOIZE
                    Memoize(memo.Count);
                    break;
                case (byte)'h': // BINGET
                    Push(Recall(ReadByte()));
                    break;
                case (byte)'j': // LONG_BINGET
                    Push(Recall(BinaryPrimitives.ReadUInt32LittleEndian(Take(4))));
                    break;
                case (byte)'Q': // BINPERSID
                    Push(PersistentLoad(Pop()));
                    break;
                case (byte)'R': // REDUCE
                    {
                        var arguments = Pop() as object?[] ?? throw Bad("REDUCE needs an argument tuple");
                        Push(Reduce(Pop(), arguments));
                        break;
                    }

                case (byte)'b': // BUILD: a state dict's _metadata attribute; kept out of the tensors
                    {
                        Pop();
                        if (Peek() is not PickleDict)
                        {
                            throw Bad($"BUILD on {Describe(Peek())}");
                        }

                        break;
                    }

                case (byte)'s': // SETITEM
                    {
                        var value = Pop();
                        var key = Pop();
                        DictOnTop("SETITEM").Add(key, value, this);
                        break;
                    }

                case (byte)'u': // SETITEMS
                    {
                        var items = PopMark();
                        if (items.Count % 2 != 0)
                        {
                            throw Bad("SETITEMS with an odd number of values");
                        }

                        var dict = DictOnTop("SETITEMS");
                        for (var i = 0; i < items.Count; i += 2)
                        {
                            dict.Add(items[i], items[i + 1], this);
                        }

                        break;
                    }

                case (byte)'a': // APPEND
                    {
                        var value = Pop();
                        ListOnTop().Add(value);
                        break;
                    }

                case (byte)'e': // APPENDS
                    {
                        var values = PopMark();
                        ListOnTop().AddRange(values);
                        break;
                    }

                default:
                    throw Bad($"opcode 0x{op:x2}{(op is >= 0x20 and < 0x7f ? $" ('{(char)op}')" : string.Empty)} at byte {at} is not one a state dict uses");
            }
        }
    }

    private object Global(string module, string name)
    {
        var qualified = $"{module}.{name}";
        if (module == "torch" && StorageTypes.TryGetValue(name, out var type))
        {
            return new StorageClass(type);
        }

        return qualified switch
        {
            "collections.OrderedDict" or "torch._utils._rebuild_tensor_v2" or "torch._utils._rebuild_parameter" => new PickleGlobal(qualified),
            _ => throw Bad($"refused to load global '{qualified}': a state dict only names OrderedDict, the torch tensor rebuilders and storage classes"),
        };
    }

    private object? Reduce(object? callable, object?[] arguments)
    {
        switch ((callable as PickleGlobal)?.Name)
        {
            case "collections.OrderedDict" when arguments.Length == 0:
                return new PickleDict();
            case "torch._utils._rebuild_parameter" when arguments.Length >= 1 && arguments[0] is TorchTensor parameter:
                return parameter;
            case "torch._utils._rebuild_tensor_v2" when arguments.Length is 6 or 7:
                return RebuildTensor(arguments);
            default:
                throw Bad($"cannot apply {Describe(callable)} to {arguments.Length} arguments");
        }
    }

    /// <summary>torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]).</summary>
    private TorchTensor RebuildTensor(object?[] arguments)
    {
        if (arguments[0] is not TorchStorage storage || arguments[1] is not long offset || arguments[2] is not object?[] size || arguments[3] is not object?[] stride)
        {
            throw Bad("_rebuild_tensor_v2 needs (storage, offset, size tuple, stride tuple, ...)");
        }

        if (++tensorCount > limits.MaxTensors)
        {
            throw Bad($"more than {limits.MaxTensors} tensors");
        }

        if (size.Length > limits.MaxRank || stride.Length > limits.MaxRank)
        {
            throw Bad($"a tensor of more than {limits.MaxRank} dimensions");
        }

        var shape = size.Select(d => d as long? ?? throw Bad("a tensor size is not an integer")).ToArray();
        var strides = stride.Select(d => d as long? ?? throw Bad("a tensor stride is not an integer")).ToArray();
        TorchTensor.CheckView("(unnamed)", storage, offset, shape, strides);
        return new TorchTensor(string.Empty, storage, offset, shape, strides);
    }

    private TorchStorage PersistentLoad(object? id)
    {
        if (id is not object?[] { Length: 5 } tuple || tuple[0] as string != "storage" || tuple[1] is not StorageClass storageClass
            || tuple[2] is not string key || tuple[3] is not string || tuple[4] is not long count)
        {
            throw Bad($"persistent id {Describe(id)} is not ('storage', torch.*Storage, key, location, numel)");
        }

        return loadStorage(key, storageClass.Type, count);
    }

    private void Memoize(long index)
    {
        if (!memo.ContainsKey(index) && memo.Count >= limits.MaxMemo)
        {
            throw Bad($"more than {limits.MaxMemo} memo entries");
        }

        memo[index] = Peek();
    }

    private object? Recall(long index) => memo.TryGetValue(index, out var value) ? value : throw Bad($"memo entry {index} was never stored");

    private PickleDict DictOnTop(string op) => Peek() as PickleDict ?? throw Bad($"{op} on {Describe(Peek())}");

    private List<object?> ListOnTop() => Peek() as List<object?> ?? throw Bad($"APPEND on {Describe(Peek())}");

    private void Push(object? value)
    {
        if (stack.Count >= limits.MaxStack)
        {
            throw Bad($"more than {limits.MaxStack} values on the stack");
        }

        stack.Add(value);
    }

    private object? Pop()
    {
        if (stack.Count == 0 || (marks.Count > 0 && stack.Count <= marks.Peek()))
        {
            throw Bad("the stack is empty");
        }

        var value = stack[^1];
        stack.RemoveAt(stack.Count - 1);
        return value;
    }

    private object? Peek() => stack.Count > 0 && (marks.Count == 0 || stack.Count > marks.Peek()) ? stack[^1] : throw Bad("the stack is empty");

    private List<object?> PopMark()
    {
        if (marks.Count == 0)
        {
            throw Bad("no MARK to pop to");
        }

        var start = marks.Pop();
        var items = stack.GetRange(start, stack.Count - start);
        stack.RemoveRange(start, stack.Count - start);
        return items;
    }

    private byte ReadByte() => Take(1)[0];

    private ReadOnlySpan<byte> Take(long count)
    {
        if (count < 0 || count > data.Length - position)
        {
            throw Bad($"truncated at byte {position}");
        }

        var span = data.AsSpan(position, (int)count);
        position += (int)count;
        return span;
    }

    private string ReadString(long length)
    {
        if (length > limits.MaxStringBytes)
        {
            throw Bad($"a string of {length} bytes (at most {limits.MaxStringBytes})");
        }

        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Take(length));
        }
        catch (DecoderFallbackException)
        {
            throw Bad("a string is not valid UTF-8");
        }
    }

    private string ReadLine()
    {
        var end = Array.IndexOf(data, (byte)'\n', position, Math.Min(data.Length - position, 256));
        if (end < 0)
        {
            throw Bad("a GLOBAL name is unterminated or longer than 256 bytes");
        }

        var line = Encoding.ASCII.GetString(data, position, end - position);
        position = end + 1;
        return line;
    }

    private long ReadLong(int length)
    {
        if (length > 8)
        {
            throw Bad($"an integer of {length} bytes");
        }

        var bytes = Take(length);
        long value = 0;
        for (var i = length - 1; i >= 0; i--)
        {
            value = (value << 8) | bytes[i];
        }

        return length is > 0 and < 8 && (bytes[length - 1] & 0x80) != 0 ? value - (1L << (8 * length)) : value;
    }

    private static string Describe(object? value) => value switch
    {
        null => "None",
        string => "a string",
        long or double or bool => $"the number {value}",
        object?[] tuple => $"a tuple of {tuple.Length}",
        List<object?> => "a list",
        PickleDict => "a dict",
        PickleGlobal global => global.Name,
        StorageClass storage => $"torch {storage.Type} storage class",
        TorchStorage => "a storage",
        TorchTensor => "a tensor",
        _ => value.GetType().Name,
    };

    internal WeightFileException Bad(string what) => new($"data.pkl: {what}");

    /// <summary>A dict or OrderedDict under construction, in insertion order.</summary>
    private sealed class PickleDict
    {
        public List<(object? Key, object? Value)> Items { get; } = [];

        public void Add(object? key, object? value, StateDictUnpickler reader)
        {
            if (Items.Count >= reader.limits.MaxStack)
            {
                throw reader.Bad($"a dict of more than {reader.limits.MaxStack} entries");
            }

            Items.Add((key, value));
        }
    }

    private sealed record PickleGlobal(string Name);

    private sealed record StorageClass(TorchDType Type);
}
