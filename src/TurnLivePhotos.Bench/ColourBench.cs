using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ImageMagick;
using TurnLivePhotos.Media.Colour;
using TurnLivePhotos.Media.Imaging;

namespace TurnLivePhotos.Bench;

/// <summary>
/// <c>bench colour PHOTO</c>: Display P3 frames to sRGB two ways — the program's matrix (<see cref="DisplayP3ToSrgb"/>)
/// and Magick.NET's profile transform with the photo's own ICC profile — on the same frames, with CPU time and the
/// largest difference between the two.
/// </summary>
public static class ColourBench
{
    public static Command Create(TextWriter output)
    {
        var photo = new Argument<string>("photo") { Description = "A photo with a Display P3 ICC profile (an iPhone HEIC or JPEG)" };
        var frames = new Option<int>("--frames") { DefaultValueFactory = _ => 25 };
        var command = new Command("colour", "Time converting 1024x576 Display P3 frames to sRGB: our matrix vs Magick.NET with the photo's ICC profile");
        command.Arguments.Add(photo);
        command.Options.Add(frames);
        command.SetAction(async parse =>
        {
            using var image = new MagickImage(parse.GetValue(photo)!);
            var profile = image.GetColorProfile();
            if (profile is null || IccProfileSpace.Classify(profile.ToByteArray()) != RgbSpace.DisplayP3)
            {
                await output.WriteLineAsync("error: the photo has no Display P3 ICC profile");
                return 1;
            }

            image.Resize(new MagickGeometry(1024, 576) { IgnoreAspectRatio = true });
            var frame = MagickInterop.ToRgb(image);
            var count = parse.GetValue(frames);
            _ = (DisplayP3ToSrgb.Convert(frame), ViaProfile(frame, profile)); // warm-up: tables, JIT, LittleCMS

            var (ours, oursTime) = Time(() => DisplayP3ToSrgb.Convert(frame), count);
            var (magick, magickTime) = Time(() => ViaProfile(frame, profile), count);
            var worst = Enumerable.Range(0, ours.Pixels.Length).Max(i => Math.Abs(ours.Pixels[i] - magick.Pixels[i]));
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{count} frames of 1024x576: matrix {oursTime}, Magick.NET profile transform {magickTime}; largest difference {worst} levels; {CpuTime.MachineLoad()}"));
            return 0;
        });
        return command;
    }

    private static RgbImage ViaProfile(RgbImage frame, IColorProfile profile)
    {
        using var image = MagickInterop.ToMagick(frame);
        image.TransformColorSpace(profile, ColorProfiles.SRGB);
        return MagickInterop.ToRgb(image);
    }

    private static (RgbImage Last, string Figures) Time(Func<RgbImage> convert, int count)
    {
        var clock = Stopwatch.StartNew();
        var cpu = CpuTime.Now();
        RgbImage last = null!;
        for (var i = 0; i < count; i++)
        {
            last = convert();
        }

        var used = CpuTime.Now() - cpu;
        return (last, string.Create(CultureInfo.InvariantCulture, $"{clock.Elapsed.TotalMilliseconds / count:0.0} ms a frame ({used})"));
    }
}
