namespace TurnLivePhotos.Engine.Onnx;

/// <summary>Field numbers and enum values of the ONNX protobuf schema (onnx.proto3), for the subset we write.</summary>
internal static class OnnxSchema
{
    public const long IrVersion = 8;
    public const long Opset = 17;

    /// <summary>ONNX Runtime's contrib operators (MultiHeadAttention among them).</summary>
    public const string MicrosoftDomain = "com.microsoft";
    public const long MicrosoftOpset = 1;

    public static class Model
    {
        public const int IrVersion = 1;
        public const int ProducerName = 2;
        public const int Graph = 7;
        public const int OpsetImport = 8;
    }

    public static class OperatorSet
    {
        public const int Domain = 1;
        public const int Version = 2;
    }

    public static class Graph
    {
        public const int Node = 1;
        public const int Name = 2;
        public const int Initializer = 5;
        public const int Input = 11;
        public const int Output = 12;
    }

    public static class Node
    {
        public const int Input = 1;
        public const int Output = 2;
        public const int Name = 3;
        public const int OpType = 4;
        public const int Attribute = 5;
        public const int Domain = 7;
    }

    public static class Attribute
    {
        public const int Name = 1;
        public const int F = 2;
        public const int I = 3;
        public const int S = 4;
        public const int G = 6;
        public const int Floats = 7;
        public const int Ints = 8;
        public const int Type = 20;

        public const int TypeFloat = 1;
        public const int TypeInt = 2;
        public const int TypeString = 3;
        public const int TypeGraph = 5;
        public const int TypeFloats = 6;
        public const int TypeInts = 7;
    }

    public static class Tensor
    {
        public const int Dims = 1;
        public const int DataType = 2;
        public const int Name = 8;
        public const int RawData = 9;
        public const int ExternalData = 13;
        public const int DataLocation = 14;
        public const int DataLocationExternal = 1;
        public const int EntryKey = 1;
        public const int EntryValue = 2;
    }

    public static class ValueInfo
    {
        public const int Name = 1;
        public const int Type = 2;
    }

    public static class TypeProto
    {
        public const int TensorType = 1;
        public const int ElemType = 1;
        public const int Shape = 2;
        public const int Dim = 1;
        public const int DimValue = 1;
        public const int DimParam = 2;
    }
}

/// <summary>ONNX TensorProto.DataType values.</summary>
public enum OnnxType
{
    Float = 1,
    Int64 = 7,
    Bool = 9,
    Float16 = 10,
    BFloat16 = 16,
}
