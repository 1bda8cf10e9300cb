namespace TurnLivePhotos.Engine.Onnx;

/// <summary>
/// Walks the fields of one protocol-buffer message, for the one place we read a protobuf back: a graph-cache entry
/// that ONNX Runtime wrote (see <see cref="ShapelessInputs"/>). Each field comes with its bytes as written (tag
/// included), so a rewrite copies what it does not change verbatim.
/// </summary>
internal ref struct ProtoReader(ReadOnlySpan<byte> message)
{
    private const int VarintWire = 0;
    private const int Fixed64Wire = 1;
    private const int LengthDelimitedWire = 2;
    private const int Fixed32Wire = 5;

    private readonly ReadOnlySpan<byte> message = message;
    private int position;

    /// <summary>The field's number.</summary>
    public int Field { get; private set; }

    /// <summary>True for a length-delimited field (a string, bytes, a nested message or a packed list).</summary>
    public bool IsLengthDelimited { get; private set; }

    /// <summary>The whole field as it stands in the message: tag, length and payload.</summary>
    public ReadOnlySpan<byte> Raw { get; private set; }

    /// <summary>A length-delimited field's payload (a nested message's own bytes); empty for other wire types.</summary>
    public ReadOnlySpan<byte> Payload { get; private set; }

    /// <summary>A varint field's value; 0 for other wire types.</summary>
    public ulong Number { get; private set; }

    /// <summary>Moves to the next field; false at the end of the message.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a well-formed message.</exception>
    public bool Next()
    {
        if (position >= message.Length)
        {
            return false;
        }

        var start = position;
        var tag = Varint();
        Field = checked((int)(tag >> 3));
        var wire = (int)(tag & 7);
        IsLengthDelimited = wire == LengthDelimitedWire;
        Payload = default;
        Number = 0;
        switch (wire)
        {
            case VarintWire:
                Number = Varint();
                break;
            case Fixed64Wire:
                Skip(8);
                break;
            case Fixed32Wire:
                Skip(4);
                break;
            case LengthDelimitedWire:
                var length = Varint();
                var payloadStart = position;
                Skip(length > int.MaxValue ? throw Malformed() : (int)length);
                Payload = message[payloadStart..position];
                break;
            default:
                throw new InvalidDataException($"protobuf wire type {wire} at byte {start} is not one ONNX uses");
        }

        Raw = message[start..position];
        return true;
    }

    private ulong Varint()
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (position >= message.Length)
            {
                throw Malformed();
            }

            var b = message[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw Malformed();
    }

    private void Skip(int count)
    {
        if (count > message.Length - position)
        {
            throw Malformed();
        }

        position += count;
    }

    private readonly InvalidDataException Malformed() => new($"protobuf message cut short or malformed at byte {position}");
}
