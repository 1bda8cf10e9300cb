using TurnLivePhotos.Engine.Weights;

namespace TurnLivePhotos.Tests.Support;

/// <summary>Makes an fp16 copy of a float32 safetensors file, the way diffusers' *.fp16.safetensors variants are made.</summary>
public static class HalfPrecision
{
    public static string Convert(string source, string destination)
    {
        using var checkpoint = Checkpoint.Open(source);
        SafetensorsWriter.Write(destination, checkpoint.Tensors.Values
            .OrderBy(t => t.Offset)
            .Select(t => SafetensorsWriter.Float16(t.Name, checkpoint.ReadFloat32(t.Name), t.Shape)));
        return destination;
    }
}
