using System.Buffers.Binary;
using System.Text;

namespace TurnLivePhotos.Engine.Onnx;

/// <summary>
/// The few protocol-buffer encodings an ONNX ModelProto needs (varints, length-delimited fields, fixed32 floats).
/// Small on purpose: the weights never pass through here, only the graph's structure and tiny constants.
/// </summary>
internal sealed class ProtoWriter
{
    private const int VarintWire = 0;
    private const int LengthDelimitedWire = 2;
    private const int Fixed32Wire = 5;

    private readonly MemoryStream buffer = new();

    public byte[] ToArray() => buffer.ToArray();

    public void Int(int field, long value)
    {
        Tag(field, VarintWire);
        Varint(unchecked((ulong)value));
    }

    public void Float(int field, float value)
    {
        Tag(field, Fixed32Wire);
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        buffer.Write(bytes);
    }

    public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public void Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, LengthDelimitedWire);
        Varint((ulong)value.Length);
        buffer.Write(value);
    }

    /// <summary>Copies a field exactly as another message held it, tag included (see <see cref="ProtoReader.Raw"/>).</summary>
    public void Raw(ReadOnlySpan<byte> field) => buffer.Write(field);

    public void Message(int field, Action<ProtoWriter> write)
    {
        var inner = new ProtoWriter();
        write(inner);
        Bytes(field, inner.buffer.GetBuffer().AsSpan(0, (int)inner.buffer.Length));
    }

    public void PackedInts(int field, IEnumerable<long> values)
    {
        var inner = new ProtoWriter();
        foreach (var value in values)
        {
            inner.Varint(unchecked((ulong)value));
        }

        Bytes(field, inner.buffer.GetBuffer().AsSpan(0, (int)inner.buffer.Length));
    }

    public void PackedFloats(int field, IEnumerable<float> values)
    {
        var inner = new ProtoWriter();
        Span<byte> bytes = stackalloc byte[4];
        foreach (var value in values)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
            inner.buffer.Write(bytes);
        }

        Bytes(field, inner.buffer.GetBuffer().AsSpan(0, (int)inner.buffer.Length));
    }

    private void Tag(int field, int wireType) => Varint((ulong)((field << 3) | wireType));

    private void Varint(ulong value)
    {
        while (value >= 0x80)
        {
            buffer.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        buffer.WriteByte((byte)value);
    }
}
