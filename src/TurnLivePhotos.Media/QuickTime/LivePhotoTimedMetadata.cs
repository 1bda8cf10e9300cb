using System.Buffers.Binary;
using static TurnLivePhotos.Media.QuickTime.Atoms;

namespace TurnLivePhotos.Media.QuickTime;

/// <summary>
/// The timed metadata of a Live Photo movie as an iPhone 15 Plus (iOS 18.2) writes it: for each of its three
/// timed-metadata tracks the keys of the mebx sample description and the samples. Each sample holds one item per key:
/// a 32-bit big-endian size, the key's local id, the value (QuickTime "boxed metadata").
/// </summary>
public static class LivePhotoTimedMetadata
{
    public const string StillImageTimeKey = "com.apple.quicktime.still-image-time";
    public const string StillImageTransformKey = "com.apple.quicktime.live-photo-still-image-transform";
    public const string StillImageTransformReferenceDimensionsKey = "com.apple.quicktime.live-photo-still-image-transform-reference-dimensions";
    public const string VideoOrientationKey = "com.apple.quicktime.video-orientation";
    public const string LivePhotoInfoKey = "com.apple.quicktime.live-photo-info";

    /// <summary>
    /// The data type the iPhone declares for live-photo-info: namespace 1 (a reverse-DNS type name) with the key's
    /// prefix written twice — copied as it is, since that string is what readers (exiftool among them) match.
    /// </summary>
    public const string LivePhotoInfoDataType = "com.apple.quicktime.com.apple.quicktime.live-photo-info";

    /// <summary>The size of a live-photo-info sample in which the camera detected nothing (11 of the iPhone movie's 42 samples).</summary>
    public const int LivePhotoInfoSampleSize = 144;

    // QuickTime well-known data types (QTFF "Well-known types"); 83 is the type the iPhone declares for the
    // still-image transform, CoreMedia's kCMMetadataBaseDataType_PerspectiveTransformF64.
    private const uint Int8 = 65;
    private const uint Int16 = 66;
    private const uint DimensionsF32 = 71;
    private const uint PerspectiveTransformF64 = 83;

    /// <summary>
    /// The still-image-time track's description: still-image-time (int8), the still-image transform (3×3 float64)
    /// and its reference dimensions (two float32), each a keyd + dtyp pair — byte for byte what the iPhone writes.
    /// </summary>
    public static byte[] StillImageTimeDescription() => Mebx(
        Key(1, StillImageTimeKey, WellKnown(Int8)),
        Key(2, StillImageTransformKey, WellKnown(PerspectiveTransformF64)),
        Key(3, StillImageTransformReferenceDimensionsKey, WellKnown(DimensionsF32)));

    /// <summary>
    /// The one sample of the still-image-time track: still-image-time = −1 (the sample's time is what counts), then
    /// the still-image transform and its reference dimensions. CoreMedia documents the transform as "a perspective
    /// transform you use to adjust a Live Photo still image to match the Live Photo movie", in the space of the
    /// reference dimensions (the iPhone writes its movie's 1920×1440 there and a near-identity matrix that undoes its
    /// video stabilisation). Our movie's frame at that instant is the photo itself, framed as the still and only
    /// scaled to the movie's size (engines keep the photo's aspect ratio; the encoder centre-crops at most a few
    /// pixels of rounding), so the transform is the identity and the reference dimensions are the movie's.
    /// </summary>
    public static byte[] StillImageTimeSample(int movieWidth, int movieHeight)
    {
        var identity = new[] { 1d, 0, 0, 0, 1, 0, 0, 0, 1 }.SelectMany(F64).ToArray();
        return
        [
            .. Item(1, [0xFF]),
            .. Item(2, identity),
            .. Item(3, [.. F32(movieWidth), .. F32(movieHeight)]),
        ];
    }

    /// <summary>The video-orientation track's description: keyd, dtyp (int16) and the empty sdpd/sdpi the iPhone adds.</summary>
    public static byte[] VideoOrientationDescription() => Mebx(Key(1, VideoOrientationKey, WellKnown(Int16), EmptySdpd()));

    /// <summary>The video-orientation sample: int16 1, the EXIF orientation "upright" (our pixels are upright).</summary>
    public static byte[] VideoOrientationSample() => Item(1, [0, 1]);

    /// <summary>
    /// The live-photo-info track's description: keyd, the namespace-1 dtyp and the empty sdpd/sdpi, as the iPhone
    /// writes them. Left out: its 'setu' atom (a property list naming the iPhone's iOS build and camera framework
    /// versions, plus the capture's 1920×1440 'dims' — facts about Apple's capture pipeline that are not ours) and
    /// its 'ctps' atom (an empty dtyp of undocumented purpose).
    /// </summary>
    public static byte[] LivePhotoInfoDescription()
    {
        var dataType = Atom("dtyp", U32(1), Text(LivePhotoInfoDataType));
        return Mebx(Key(1, LivePhotoInfoKey, dataType, EmptySdpd()));
    }

    /// <summary>
    /// One live-photo-info sample, written for every video frame as the iPhone does. Apple does not document the
    /// payload (exiftool unpacks a prefix as "VfVVf6c4lCCcclf4Vvv", little-endian, meanings unknown), so it is written
    /// in the 144-byte form the iPhone uses for a frame in which it detected no subject, read from the iPhone 15 Plus
    /// movie's samples:
    /// <list type="bullet">
    /// <item>copied as layout: the item header, the version (3 at byte 8), the subject count (0 at byte 52, which
    /// selects the 144-byte form; with subjects, 48- and 32-byte records follow) and three small integers that every
    /// subject-less iPhone sample carries unchanged (bytes 48–51 = 04 00 FF 00, byte 72 = 0x21, byte 130 = 1) — markers
    /// of the layout as far as one can tell, not measurements;</item>
    /// <item>neutral (zero): every other field. They are the camera's measurements of each frame — they change from
    /// frame to frame or describe the iPhone's camera: a small float that looks like an exposure time, two counters,
    /// four floats that grow with the camera's movement (motion in pixels), two lens-like floats, and nine floats
    /// laid out as a 3×3 matrix. Our frames come from an engine, not a sensor: zero says no motion and nothing
    /// measured rather than inventing a capture.</item>
    /// </list>
    /// </summary>
    public static byte[] LivePhotoInfoSample()
    {
        var sample = new byte[LivePhotoInfoSampleSize];
        BinaryPrimitives.WriteUInt32BigEndian(sample, LivePhotoInfoSampleSize);
        BinaryPrimitives.WriteUInt32BigEndian(sample.AsSpan(4), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(sample.AsSpan(8), 3);
        sample[48] = 0x04;
        sample[50] = 0xFF;
        BinaryPrimitives.WriteUInt32LittleEndian(sample.AsSpan(52), 0);
        sample[72] = 0x21;
        sample[130] = 0x01;
        return sample;
    }

    /// <summary>mebx sample entry: six reserved bytes, data reference index 1, then the keys.</summary>
    private static byte[] Mebx(params byte[][] keys) => Atom("mebx", Zeros(6), U16(1), Atom("keys", keys));

    /// <summary>One key of a mebx description: an atom named by its local id holding keyd ('mdta' + the key) and its data type.</summary>
    private static byte[] Key(uint localId, string key, params byte[][] atoms) =>
        Atom(System.Text.Encoding.Latin1.GetString(U32(localId)), [Atom("keyd", Text("mdta"), Text(key)), .. atoms]);

    private static byte[] WellKnown(uint type) => Atom("dtyp", U32(0), U32(type));

    /// <summary>
    /// 'sdpd' holding an 'sdpi' of four zero bytes: undocumented; the iPhone writes exactly this in its video-orientation
    /// and live-photo-info descriptions, so ours do too (it carries no value).
    /// </summary>
    private static byte[] EmptySdpd() => Atom("sdpd", Atom("sdpi", Zeros(4)));

    private static byte[] Item(uint localId, byte[] value) => [.. U32((uint)(8 + value.Length)), .. U32(localId), .. value];

    private static byte[] F64(double value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteDoubleBigEndian(bytes, value);
        return bytes;
    }

    private static byte[] F32(float value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteSingleBigEndian(bytes, value);
        return bytes;
    }
}
