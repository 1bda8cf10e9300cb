namespace TurnLivePhotos.Media;

/// <summary>Which piece of a photo's metadata a <see cref="MetadataNote"/> is about.</summary>
public enum MetadataPart
{
    Xmp,
    ExtendedXmp,
    Exif,
    MultiPictureIndex,
    IccProfile,

    /// <summary>A HEIC photo's items, which the Live Photo still carries over.</summary>
    HeifItems,
}

/// <summary>
/// Metadata of the person's photo that was unreadable or over a parsing limit and so was left out of what was
/// written, and why. The conversion goes on without it; the CLI prints one line per note and a job keeps them as
/// its message.
/// </summary>
public sealed record MetadataNote(MetadataPart Part, string Reason)
{
    public override string ToString() => $"{Name(Part)}: {Reason}";

    private static string Name(MetadataPart part) => part switch
    {
        MetadataPart.Xmp => "XMP",
        MetadataPart.ExtendedXmp => "Extended XMP",
        MetadataPart.Exif => "Exif",
        MetadataPart.MultiPictureIndex => "MPF index",
        MetadataPart.IccProfile => "ICC profile",
        MetadataPart.HeifItems => "HEIF items",
        _ => part.ToString(),
    };
}
