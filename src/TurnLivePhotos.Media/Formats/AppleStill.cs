using TurnLivePhotos.Media.Decoding;

namespace TurnLivePhotos.Media.Formats;

/// <summary>What the Live Photo's still is (<c>[OutputOptions] AppleStill</c>, <c>--apple-still</c>).</summary>
public enum AppleStill
{
    /// <summary>HEIC for a HEIC/HEIF photo (its items kept, no re-encode), JPEG for everything else.</summary>
    Auto,

    /// <summary>Always a JPEG (a HEIC photo is decoded and re-encoded once, losing its gain map and auxiliary images).</summary>
    Jpeg,

    /// <summary>Always the HEIC photo itself; the Live Photo fails for a photo that is not HEIC/HEIF.</summary>
    Heic,
}

/// <summary>The Live Photo cannot have the still that was asked for (AppleStill=heic for a photo that is not HEIC).</summary>
public sealed class AppleStillUnavailableException(string message) : Exception(message);

public static class AppleStillChoice
{
    /// <summary>
    /// True when the Live Photo still is the HEIC photo itself. <c>auto</c> chooses it for a HEIC/HEIF photo unless
    /// metadata is to be stripped (the JPEG path does that; the HEIC path keeps every item as it is); <c>heic</c>
    /// insists and throws <see cref="AppleStillUnavailableException"/> for any other photo or with --strip-metadata.
    /// </summary>
    public static bool UsesHeic(byte[] photo, OutputOptions options)
    {
        ArgumentNullException.ThrowIfNull(photo);
        ArgumentNullException.ThrowIfNull(options);
        if (options.AppleStill == AppleStill.Jpeg)
        {
            return false;
        }

        var format = PhotoFormatSniffer.Detect(photo.AsSpan(0, Math.Min(photo.Length, PhotoFormatSniffer.HeaderLength)));
        var heif = format == PhotoFormat.Heif;
        if (options.AppleStill == AppleStill.Auto)
        {
            return heif && !options.StripMetadata;
        }

        if (!heif)
        {
            throw new AppleStillUnavailableException($"AppleStill=heic needs a HEIC/HEIF photo; this one is {(format is { } known ? PhotoDecoder.Describe(known) : "not one")} (use auto or jpeg)");
        }

        return options.StripMetadata
            ? throw new AppleStillUnavailableException("AppleStill=heic keeps the photo's metadata items as they are, so it cannot be combined with --strip-metadata (use auto or jpeg)")
            : true;
    }
}
