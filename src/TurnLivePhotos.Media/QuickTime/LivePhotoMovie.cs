using System.Buffers.Binary;
using System.Text;
using static TurnLivePhotos.Media.QuickTime.Atoms;

namespace TurnLivePhotos.Media.QuickTime;

/// <summary>
/// Turns a QuickTime movie written by ffmpeg (moov at the end) into the movie half of an Apple Live Photo: the
/// content identifier in moov/meta (mdta keys) and a timed-metadata track whose one sample, keyed
/// com.apple.quicktime.still-image-time, plays at the instant that matches the still. The file is cut where the old
/// moov began; a tiny mdat with the sample and the rebuilt moov follow, so no existing chunk offset moves.
/// </summary>
public static class LivePhotoMovie
{
    public const string ContentIdentifierKey = "com.apple.quicktime.content.identifier";
    public const string StillImageTimeKey = "com.apple.quicktime.still-image-time";

    /// <summary>The metadata sample: atom size 9, local key id 1, int8 value −1 (what iPhones write).</summary>
    public static readonly byte[] StillImageTimeSample = [0, 0, 0, 9, 0, 0, 0, 1, 0xFF];

    public static byte[] AddLivePhotoMetadata(byte[] movie, string contentIdentifier, double stillSeconds)
    {
        ArgumentNullException.ThrowIfNull(movie);
        var top = Children(movie, 0, movie.Length);
        var moov = top.LastOrDefault(a => a.Type == "moov") ?? throw new FormatException("the movie has no moov atom");
        if (moov.End != movie.Length)
        {
            throw new FormatException("the movie's moov atom must come last (write it without +faststart)");
        }

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
        BinaryPrimitives.WriteUInt32BigEndian(movieHeader.AsSpan(104), nextTrackId + 1);

        var sampleOffset = moov.Start + 8;
        var mdat = Atom("mdat", StillImageTimeSample);
        var stillTicks = (uint)Math.Round(stillSeconds * timescale);
        var sampleTicks = Math.Max(1u, timescale / 30);
        var metadataTrack = StillImageTimeTrack(nextTrackId, videoTrackId, timescale, stillTicks, sampleTicks, (uint)sampleOffset);

        var rebuilt = new List<byte[]> { movieHeader };
        rebuilt.AddRange(children.Where(a => a.Type is not ("mvhd" or "meta")).Select(a => movie[(int)a.Start..(int)a.End]));
        rebuilt.Add(metadataTrack);
        rebuilt.Add(MovieMetadata(contentIdentifier));
        var newMoov = Atom("moov", [.. rebuilt]);
        return [.. movie.AsSpan(0, (int)moov.Start), .. mdat, .. newMoov];
    }

    private static uint TrackId(byte[] movie, AtomSpan trak)
    {
        var tkhd = Children(movie, trak.PayloadStart, trak.End).First(a => a.Type == "tkhd");
        var version = movie[tkhd.PayloadStart];
        return BinaryPrimitives.ReadUInt32BigEndian(movie.AsSpan((int)tkhd.PayloadStart + (version == 1 ? 20 : 12)));
    }

    /// <summary>moov/meta in the QuickTime form: hdlr 'mdta', keys, ilst with the content identifier as UTF-8.</summary>
    private static byte[] MovieMetadata(string contentIdentifier)
    {
        var key = Text(ContentIdentifierKey);
        var handler = FullAtom("hdlr", 0, 0, Zeros(4), Text("mdta"), Zeros(12), Zeros(1));
        var keys = FullAtom("keys", 0, 0, U32(1), U32((uint)(8 + key.Length)), Text("mdta"), key);
        var value = Atom("data", U32(1), U32(0), Encoding.UTF8.GetBytes(contentIdentifier));
        var ilst = Atom("ilst", Atom("\0\0\0\u0001", value));
        return Atom("meta", handler, keys, ilst);
    }

    private static byte[] StillImageTimeTrack(uint trackId, uint videoTrackId, uint timescale, uint stillTicks, uint sampleTicks, uint sampleOffset)
    {
        var trackDuration = stillTicks + sampleTicks;
        var tkhd = FullAtom("tkhd", 0, 0x0F,
            U32(0), U32(0), U32(trackId), U32(0), U32(trackDuration), Zeros(8),
            U16(0), U16(0), U16(0), U16(0), IdentityMatrix(), U32(0), U32(0));

        // An empty edit delays the sample to the still's instant; then the sample plays for one frame.
        var edits = stillTicks > 0
            ? new[] { (Duration: stillTicks, MediaTime: -1), (Duration: sampleTicks, MediaTime: 0) }
            : [(Duration: sampleTicks, MediaTime: 0)];
        var elst = FullAtom("elst", 0, 0, [U32((uint)edits.Length), .. edits.SelectMany(e => new[] { U32(e.Duration), I32(e.MediaTime), U32(0x00010000) })]);
        var edts = Atom("edts", elst);
        var tref = Atom("tref", Atom("cdsc", U32(videoTrackId)));

        var mdhd = FullAtom("mdhd", 0, 0, U32(0), U32(0), U32(timescale), U32(sampleTicks), U16(0x55C4), U16(0));
        var mediaHandler = FullAtom("hdlr", 0, 0, Text("mhlr"), Text("meta"), Zeros(4), Zeros(4), Zeros(4), PascalString("Core Media Metadata"));
        var gmhd = Atom("gmhd", FullAtom("gmin", 0, 0, U16(0x0040), U16(0x8000), U16(0x8000), U16(0x8000), U16(0), U16(0)));
        var dataHandler = FullAtom("hdlr", 0, 0, Text("dhlr"), Text("url "), Zeros(4), Zeros(4), Zeros(4), PascalString("Core Media Data Handler"));
        var dinf = Atom("dinf", FullAtom("dref", 0, 0, U32(1), FullAtom("url ", 0, 1)));

        var keyName = Text(StillImageTimeKey);
        var keyd = Atom("keyd", Text("mdta"), keyName);
        var dtyp = Atom("dtyp", U32(0), U32(0x41));
        var keys = Atom("keys", Atom("\0\0\0\u0001", keyd, dtyp));
        var mebx = Atom("mebx", Zeros(6), U16(1), keys);
        var stsd = FullAtom("stsd", 0, 0, U32(1), mebx);
        var stts = FullAtom("stts", 0, 0, U32(1), U32(1), U32(sampleTicks));
        var stsc = FullAtom("stsc", 0, 0, U32(1), U32(1), U32(1), U32(1));
        var stsz = FullAtom("stsz", 0, 0, U32((uint)StillImageTimeSample.Length), U32(1));
        var stco = FullAtom("stco", 0, 0, U32(1), U32(sampleOffset));
        var stbl = Atom("stbl", stsd, stts, stsc, stsz, stco);

        var minf = Atom("minf", gmhd, dataHandler, dinf, stbl);
        var mdia = Atom("mdia", mdhd, mediaHandler, minf);
        return Atom("trak", tkhd, edts, tref, mdia);
    }

    private static byte[] PascalString(string text) => [(byte)text.Length, .. Encoding.ASCII.GetBytes(text)];
}
