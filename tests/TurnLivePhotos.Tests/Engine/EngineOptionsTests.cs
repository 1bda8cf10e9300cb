using System.Reflection;
using System.Text.Json;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Engine.Svd;
using TurnLivePhotos.Media.Imaging;

namespace TurnLivePhotos.Tests.Engine;

/// <summary>The one mapping from the user-facing parameters to the engines' own options (issue 25, item 2).</summary>
public sealed class EngineOptionsTests
{
    public static TheoryData<string> UserParameters() =>
        [.. typeof(MotionParameters).GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(property => property.Name)];

    [Theory]
    [MemberData(nameof(UserParameters))]
    public void Each_user_parameter_reaches_exactly_one_engine_part(string name)
    {
        var changed = new MotionParameters();
        var property = typeof(MotionParameters).GetProperty(name)!;
        property.SetValue(changed, OtherValue(property.PropertyType, property.GetValue(changed)));

        var defaults = new MotionParameters();
        var differing = new[]
        {
            changed.ToClip() != defaults.ToClip(),
            changed.ToSampling() != defaults.ToSampling(),
            changed.ToCamera() != defaults.ToCamera(),
        };

        Assert.Equal(1, differing.Count(part => part));
    }

    [Fact]
    public void The_request_carries_the_parts_the_parameters_map_to()
    {
        var parameters = new MotionParameters { Frames = 9, Sampler = Sampler.AnimateLcm, Camera = CameraMove.Rise, Seed = 4 };
        var photo = new RgbImage(2, 2, new byte[2 * 2 * 3]);

        var request = parameters.ToRequest(photo);

        Assert.Same(photo, request.Photo);
        Assert.Equal((parameters.ToClip(), parameters.ToSampling(), parameters.ToCamera()), (request.Clip, request.Sampling, request.Camera));
    }

    [Fact]
    public void The_stored_shape_of_the_parameters_keeps_its_names()
    {
        // Jobs store MotionParameters as JSON: the engine parts are methods, so they add nothing to it.
        using var json = JsonDocument.Parse(JsonSerializer.Serialize(new MotionParameters()));

        Assert.Equal(
            ["Frames", "Fps", "MotionBucketId", "NoiseAugStrength", "MinGuidanceScale", "MaxGuidanceScale", "InferenceSteps", "Sampler", "DecodeChunkSize", "Seed", "TargetWidth", "TargetHeight", "Camera"],
            json.RootElement.EnumerateObject().Select(member => member.Name));
    }

    private static object OtherValue(Type type, object? current) => (Nullable.GetUnderlyingType(type) ?? type) switch
    {
        var t when t == typeof(int) => (int)(current ?? 0) + 1,
        var t when t == typeof(long) => (long)(current ?? 0L) + 1,
        var t when t == typeof(double) => (double)(current ?? 0.0) + 0.5,
        var t when t.IsEnum => Enum.GetValues(t).Cast<object>().First(value => !value.Equals(current)),
        var t => throw new InvalidOperationException($"no other value for {t}"),
    };
}
