using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using static TurnLivePhotos.Media.QuickTime.Atoms;

namespace TurnLivePhotos.Media.QuickTime;

/// <summary>
/// Turns a QuickTime movie written by ffmpeg (moov at the end) into the movie half of an Apple Live Photo, with the
/// fields an iPhone (iOS 18) writes that we can state truthfully: in moov/meta (mdta keys) the content identifier,
/// live-photo.auto with a vitality score, and the capture time as creationdate; the capture time in every
/// mvhd/tkhd/mdhd; and two timed-metadata (mebx) tracks — still-image-time (one sample, value −1, at the instant
/// that matches the still) and video-orientation (one sample over the whole movie; our pixels are upright, so 1).
/// The file is cut where the old moov began; a tiny mdat with the samples and the rebuilt moov follow, so no
/// existing chunk offset moves.
/// </summary>
public static class LivePhotoMovie
{
    public const string ContentIdentifierKey = "com.apple.quicktime.content.identifier";
    public const string StillImageTimeKey = "com.apple.quicktime.still-image-time";
    public const string VideoOrientationKey = "com.apple.quicktime.video-orientation";
    public const string LivePhotoAutoKey = "com.apple.quicktime.live-photo.auto";
    public const string VitalityScoreKey = "com.apple.quicktime.live-photo.vitality-score";
    public const string CreationDateKey = "com.apple.quicktime.creationdate";

    /// <summary>The still-image-time sample: atom size 9, local key id 1, int8 value −1 (what iPhones write).</summary>
    public static readonly byte[] StillImageTimeSample = [0, 0, 0, 9, 0, 0, 0, 1, 0xFF];

    /// <summary>The video-orientation sample: atom size 10, local key id 1, int16 value 1 (EXIF orientation "upright").</summary>
    public static readonly byte[] VideoOrientationSample = [0, 0, 0, 10, 0, 0, 0, 1, 0, 1];

    // QuickTime well-known data types (QTFF "Well-known types").
    private const uint Utf8 = 1;
    private const uint BigEndianUnsigned = 22;
    private const uint Float32 = 23;
    private const uint Int8 = 65;
    private const uint Int16 = 66;

    private static readonly DateTime MacEpoch = new(1904, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <param name="captureTime">When the photo was taken (its Exif DateTimeOriginal); the movie carries it as iPhones do.</param>
    public static byte[] AddLivePhotoMetadata(byte[] movie, string contentIdentifier, double stillSeconds, DateTimeOffset captureTime)
    {
        ArgumentNullException.ThrowIfNull(movie);
        var top = Children(movie, 0, movie.Length);
        var moov = top.LastOrDefault(a => a.Type == "moov") ?? throw new FormatException("the movie has no moov atom");
        if (moov.End != movie.Length)
        {
            throw new FormatException("the movie's moov atom must come last (write it without +faststart)");
        }

        var macTime = MacTime(captureTime);
        var children = Children(movie, moov.PayloadStart, moov.End);
        var mvhd = children.First(a => a.Type == "mvhd");
        var movieHeader = movie[(int)mvhd.Start..(int)mvhd.End];
        if (movieHeader[8] != 0)
        {
            throw new FormatException("only version-0 movie headers are supported");
        }

        var timescale = BinaryPrimitives.ReadUInt32BigEndian(movieHeader.AsSpan(20));
        var duration = BinaryPrimitives.ReadUInt32BigEndian(movieHeader.AsSpan(24));
        var nextTrackId = BinaryPrimitives.ReadUInt32BigEndian(movieHeader.AsSpan(104));
        var videoTrackId = children.Where(a => a.Type == "trak").Select(t => TrackId(movie, t)).DefaultIfEmpty(1u).First();
        BinaryPrimitives.WriteUInt32BigEndian(movieHeader.AsSpan(104), nextTrackId + 2);
        SetTimes(movieHeader, macTime);

        var stillOffset = (uint)(moov.Start + 8);
        var orientationOffset = stillOffset + (uint)StillImageTimeSample.Length;
        var mdat = Atom("mdat", StillImageTimeSample, VideoOrientationSample);
        var stillTicks = (uint)Math.Round(stillSeconds * timescale);
        var sampleTicks = Math.Max(1u, timescale / 30);
        var stillTrack = MetadataTrack(nextTrackId, videoTrackId, timescale, macTime, StillImageTimeKey, Int8, stillTicks, sampleTicks, stillOffset, StillImageTimeSample.Length);
        var orientationTrack = MetadataTrack(nextTrackId + 1, videoTrackId, timescale, macTime, VideoOrientationKey, Int16, 0, Math.Max(1u, duration), orientationOffset, VideoOrientationSample.Length);

        var rebuilt = new List<byte[]> { movieHeader };
        foreach (var child in children.Where(a => a.Type is not ("mvhd" or "meta")))
        {
            var bytes = movie[(int)child.Start..(int)child.End];
            if (child.Type == "trak")
            {
                SetTrackTimes(bytes, macTime);
            }

            rebuilt.Add(bytes);
        }

        rebuilt.Add(stillTrack);
        rebuilt.Add(orientationTrack);
        rebuilt.Add(MovieMetadata(
        [
            (ContentIdentifierKey, Utf8, Encoding.UTF8.GetBytes(contentIdentifier)),
            (LivePhotoAutoKey, BigEndianUnsigned, [1]),
            (VitalityScoreKey, Float32, U32(BitConverter.SingleToUInt32Bits(1f))),
            (CreationDateKey, Utf8, Encoding.UTF8.GetBytes(CreationDate(captureTime))),
        ]));
        var newMoov = Atom("moov", [.. rebuilt]);
        return [.. movie.AsSpan(0, (int)moov.Start), .. mdat, .. newMoov];
    }

    /// <summary>ISO 8601 with the photo's UTC offset, as iPhones write creationdate ("2025-01-01T11:06:46+0900").</summary>
    public static string CreationDate(DateTimeOffset time) =>
        time.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture)
        + (time.Offset < TimeSpan.Zero ? "-" : "+")
        + time.Offset.Duration().ToString("hhmm", CultureInfo.InvariantCulture);

    private static uint MacTime(DateTimeOffset time)
    {
        var seconds = (time.UtcDateTime - MacEpoch).TotalSeconds;
        return (uint)Math.Clamp(seconds, 0, uint.MaxValue);
    }

    /// <summary>Creation and modification time of a version-0 mvhd/tkhd/mdhd atom (bytes 12–19 of the atom).</summary>
    private static void SetTimes(Span<byte> header, uint macTime)
    {
        if (header[8] == 0)
        {
            BinaryPrimitives.WriteUInt32BigEndian(header[12..], macTime);
            BinaryPrimitives.WriteUInt32BigEndian(header[16..], macTime);
        }
    }

    /// <summary>Sets the capture time in a track's tkhd and mdhd, in place (sizes do not change).</summary>
    private static void SetTrackTimes(byte[] trak, uint macTime)
    {
        foreach (var child in Children(trak, 8, trak.Length))
        {
            if (child.Type == "tkhd")
            {
                SetTimes(trak.AsSpan((int)child.Start, (int)child.Size), macTime);
            }
            else if (child.Type == "mdia")
            {
                foreach (var media in Children(trak, child.PayloadStart, child.End).Where(a => a.Type == "mdhd"))
                {
                    SetTimes(trak.AsSpan((int)media.Start, (int)media.Size), macTime);
                }
            }
        }
    }

    private static uint TrackId(byte[] movie, AtomSpan trak)
    {
        var tkhd = Children(movie, trak.PayloadStart, trak.End).First(a => a.Type == "tkhd");
        var version = movie[tkhd.PayloadStart];
        return BinaryPrimitives.ReadUInt32BigEndian(movie.AsSpan((int)tkhd.PayloadStart + (version == 1 ? 20 : 12)));
    }

    /// <summary>moov/meta in the QuickTime form: hdlr 'mdta', keys, ilst with one typed value per key.</summary>
    private static byte[] MovieMetadata(IReadOnlyList<(string Key, uint Type, byte[] Value)> entries)
    {
        var handler = FullAtom("hdlr", 0, 0, Zeros(4), Text("mdta"), Zeros(12), Zeros(1));
        var keyAtoms = entries.Select(e => Text(e.Key)).SelectMany(key => new[] { U32((uint)(8 + key.Length)), Text("mdta"), key });
        var keys = FullAtom("keys", 0, 0, [U32((uint)entries.Count), .. keyAtoms]);
        var items = entries.Select((e, i) => Atom(Encoding.Latin1.GetString(U32((uint)(i + 1))), Atom("data", U32(e.Type), U32(0), e.Value)));
        return Atom("meta", handler, keys, Atom("ilst", [.. items]));
    }

    /// <summary>
    /// A timed-metadata track with one sample (key <paramref name="key"/>, QuickTime well-known type
    /// <paramref name="dataType"/>) that starts at <paramref name="startTicks"/> (an empty edit before it) and lasts
    /// <paramref name="sampleTicks"/>; it describes the video track (tref cdsc), as in iPhone movies.
    /// </summary>
    private static byte[] MetadataTrack(uint trackId, uint videoTrackId, uint timescale, uint macTime, string key, uint dataType, uint startTicks, uint sampleTicks, uint sampleOffset, int sampleSize)
    {
        var trackDuration = startTicks + sampleTicks;
        var tkhd = FullAtom("tkhd", 0, 0x0F,
            U32(macTime), U32(macTime), U32(trackId), U32(0), U32(trackDuration), Zeros(8),
            U16(0), U16(0), U16(0), U16(0), IdentityMatrix(), U32(0), U32(0));

        var edits = startTicks > 0
            ? new[] { (Duration: startTicks, MediaTime: -1), (Duration: sampleTicks, MediaTime: 0) }
            : [(Duration: sampleTicks, MediaTime: 0)];
        var elst = FullAtom("elst", 0, 0, [U32((uint)edits.Length), .. edits.SelectMany(e => new[] { U32(e.Duration), I32(e.MediaTime), U32(0x00010000) })]);
        var edts = Atom("edts", elst);
        var tref = Atom("tref", Atom("cdsc", U32(videoTrackId)));

        var mdhd = FullAtom("mdhd", 0, 0, U32(macTime), U32(macTime), U32(timescale), U32(sampleTicks), U16(0x55C4), U16(0));
        var mediaHandler = FullAtom("hdlr", 0, 0, Text("mhlr"), Text("meta"), Zeros(4), Zeros(4), Zeros(4), PascalString("Core Media Metadata"));
        var gmhd = Atom("gmhd", FullAtom("gmin", 0, 0, U16(0x0040), U16(0x8000), U16(0x8000), U16(0x8000), U16(0), U16(0)));
        var dataHandler = FullAtom("hdlr", 0, 0, Text("dhlr"), Text("url "), Zeros(4), Zeros(4), Zeros(4), PascalString("Core Media Data Handler"));
        var dinf = Atom("dinf", FullAtom("dref", 0, 0, U32(1), FullAtom("url ", 0, 1)));

        var keyd = Atom("keyd", Text("mdta"), Text(key));
        var dtyp = Atom("dtyp", U32(0), U32(dataType));
        var keys = Atom("keys", Atom("\0\0\0\u0001", keyd, dtyp));
        var mebx = Atom("mebx", Zeros(6), U16(1), keys);
        var stsd = FullAtom("stsd", 0, 0, U32(1), mebx);
        var stts = FullAtom("stts", 0, 0, U32(1), U32(1), U32(sampleTicks));
        var stsc = FullAtom("stsc", 0, 0, U32(1), U32(1), U32(1), U32(1));
        var stsz = FullAtom("stsz", 0, 0, U32((uint)sampleSize), U32(1));
        var stco = FullAtom("stco", 0, 0, U32(1), U32(sampleOffset));
        var stbl = Atom("stbl", stsd, stts, stsc, stsz, stco);

        var minf = Atom("minf", gmhd, dataHandler, dinf, stbl);
        var mdia = Atom("mdia", mdhd, mediaHandler, minf);
        return Atom("trak", tkhd, edts, tref, mdia);
    }

    private static byte[] PascalString(string text) => [(byte)text.Length, .. Encoding.ASCII.GetBytes(text)];
}
