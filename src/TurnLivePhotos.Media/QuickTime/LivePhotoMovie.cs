using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using TurnLivePhotos.Media.Jpeg;
using static TurnLivePhotos.Media.QuickTime.Atoms;

namespace TurnLivePhotos.Media.QuickTime;

/// <summary>
/// Turns a QuickTime movie written by ffmpeg (moov at the end) into the movie half of an Apple Live Photo, with the
/// fields an iPhone (iOS 18) writes that we can state truthfully: in moov/meta (mdta keys) the content identifier,
/// live-photo.auto with a vitality score, and the capture time as creationdate; the capture time in every
/// mvhd/tkhd/mdhd; and three timed-metadata (mebx) tracks in the iPhone's order (see
/// <see cref="LivePhotoTimedMetadata"/> for their keys and samples) — video-orientation (one sample over the whole
/// movie; our pixels are upright, so 1), live-photo-info (one sample per video frame, timed like the frames) and
/// still-image-time (one sample, value −1, at the instant that matches the still, with the still-image transform).
/// Like the iPhone's, the metadata tracks carry no track reference: a 'cdsc' reference (ISO/IEC 14496-12's "content
/// describes") is optional, and the iPhone, whose movies Photos reads, writes none.
/// The file is cut where the old moov began; a tiny mdat with the samples and the rebuilt moov follow, so no
/// existing chunk offset moves.
/// </summary>
public static class LivePhotoMovie
{
    public const string ContentIdentifierKey = "com.apple.quicktime.content.identifier";
    public const string LivePhotoAutoKey = "com.apple.quicktime.live-photo.auto";
    public const string VitalityScoreKey = "com.apple.quicktime.live-photo.vitality-score";
    public const string CreationDateKey = "com.apple.quicktime.creationdate";

    // QuickTime well-known data types (QTFF "Well-known types").
    private const uint Utf8 = 1;
    private const uint BigEndianUnsigned = 22;
    private const uint Float32 = 23;

    private static readonly DateTime MacEpoch = new(1904, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <param name="captureTime">
    /// When the photo was taken (Exif DateTimeOriginal and, if the photo has it, its offset); the movie carries it as
    /// iPhones do. The headers' times need an instant: without an offset, or without a capture time, they keep
    /// QuickTime's 0 ("not set"), and without a capture time creationdate is left out.
    /// </param>
    public static byte[] AddLivePhotoMetadata(byte[] movie, string contentIdentifier, double stillSeconds, CaptureTime? captureTime)
    {
        ArgumentNullException.ThrowIfNull(movie);
        var top = Children(movie, 0, movie.Length);
        var moov = top.LastOrDefault(a => a.Type == "moov") ?? throw new FormatException("the movie has no moov atom");
        if (moov.End != movie.Length)
        {
            throw new FormatException("the movie's moov atom must come last (write it without +faststart)");
        }

        var macTime = captureTime?.Instant is { } instant ? MacTime(instant) : 0u;
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
        var video = VideoTrack.Read(movie, children.FirstOrDefault(a => a.Type == "trak") ?? throw new FormatException("the movie has no track"));
        BinaryPrimitives.WriteUInt32BigEndian(movieHeader.AsSpan(104), nextTrackId + 3);
        SetTimes(movieHeader, macTime);

        var orientationSample = LivePhotoTimedMetadata.VideoOrientationSample();
        var infoSample = LivePhotoTimedMetadata.LivePhotoInfoSample();
        var stillSample = LivePhotoTimedMetadata.StillImageTimeSample(video.Width, video.Height);
        var orientationOffset = (uint)(moov.Start + 8);
        var infoOffset = orientationOffset + (uint)orientationSample.Length;
        var stillOffset = infoOffset + (uint)(infoSample.Length * video.FrameCount);
        var mdat = Atom("mdat", [orientationSample, .. Enumerable.Repeat(infoSample, video.FrameCount), stillSample]);

        var stillTicks = (uint)Math.Round(stillSeconds * timescale);
        var stillDuration = Math.Max(1u, timescale / 30);
        var wholeMovie = Math.Max(1u, duration);
        var orientationTrack = MetadataTrack(nextTrackId, macTime, LivePhotoTimedMetadata.VideoOrientationDescription(),
            [(wholeMovie, 0)], timescale, [(1, wholeMovie)], orientationOffset, orientationSample.Length);
        // One info sample per video frame, on the video's own clock and sample durations, so sample k plays with frame k.
        var infoTrack = MetadataTrack(nextTrackId + 1, macTime, LivePhotoTimedMetadata.LivePhotoInfoDescription(),
            [(video.TrackDuration, 0)], video.MediaTimescale, video.SampleDurations, infoOffset, infoSample.Length);
        (uint Duration, int MediaTime)[] stillEdits = stillTicks > 0 ? [(stillTicks, -1), (stillDuration, 0)] : [(stillDuration, 0)];
        var stillTrack = MetadataTrack(nextTrackId + 2, macTime, LivePhotoTimedMetadata.StillImageTimeDescription(),
            stillEdits, timescale, [(1, stillDuration)], stillOffset, stillSample.Length);

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

        rebuilt.Add(orientationTrack);
        rebuilt.Add(infoTrack);
        rebuilt.Add(stillTrack);
        List<(string, uint, byte[])> items =
        [
            (ContentIdentifierKey, Utf8, Encoding.UTF8.GetBytes(contentIdentifier)),
            (LivePhotoAutoKey, BigEndianUnsigned, [1]),
            (VitalityScoreKey, Float32, U32(BitConverter.SingleToUInt32Bits(1f))),
        ];
        if (captureTime is not null)
        {
            items.Add((CreationDateKey, Utf8, Encoding.UTF8.GetBytes(CreationDate(captureTime))));
        }

        rebuilt.Add(MovieMetadata([.. items]));
        var newMoov = Atom("moov", [.. rebuilt]);
        return Bytes.Concat(movie[..(int)moov.Start], mdat, newMoov);
    }

    /// <summary>
    /// ISO 8601 with the photo's UTC offset, as iPhones write creationdate ("2025-01-01T11:06:46+0900"); a photo that
    /// records no offset gets ISO 8601's local time, without one ("2025-01-01T11:06:46").
    /// </summary>
    public static string CreationDate(CaptureTime time)
    {
        ArgumentNullException.ThrowIfNull(time);
        var local = time.Local.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        return time.Offset is { } offset
            ? local + (offset < TimeSpan.Zero ? "-" : "+") + offset.Duration().ToString("hhmm", CultureInfo.InvariantCulture)
            : local;
    }

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
    /// A timed-metadata track described by <paramref name="description"/> (a mebx entry), placed on the movie's
    /// timeline by <paramref name="edits"/> (movie timescale; media time −1 is an empty edit), whose samples
    /// (<paramref name="sampleDurations"/>: runs of count × duration in <paramref name="mediaTimescale"/>) are all
    /// <paramref name="sampleSize"/> bytes long and lie one after the other from <paramref name="sampleOffset"/>.
    /// </summary>
    private static byte[] MetadataTrack(uint trackId, uint macTime, byte[] description, IReadOnlyList<(uint Duration, int MediaTime)> edits, uint mediaTimescale, IReadOnlyList<(uint Count, uint Duration)> sampleDurations, uint sampleOffset, int sampleSize)
    {
        var trackDuration = (uint)edits.Sum(e => e.Duration);
        var mediaDuration = (uint)sampleDurations.Sum(run => (long)run.Count * run.Duration);
        var sampleCount = (uint)sampleDurations.Sum(run => run.Count);
        var tkhd = FullAtom("tkhd", 0, 0x0F,
            U32(macTime), U32(macTime), U32(trackId), U32(0), U32(trackDuration), Zeros(8),
            U16(0), U16(0), U16(0), U16(0), IdentityMatrix(), U32(0), U32(0));
        var elst = FullAtom("elst", 0, 0, [U32((uint)edits.Count), .. edits.SelectMany(e => new[] { U32(e.Duration), I32(e.MediaTime), U32(0x00010000) })]);
        var edts = Atom("edts", elst);

        var mdhd = FullAtom("mdhd", 0, 0, U32(macTime), U32(macTime), U32(mediaTimescale), U32(mediaDuration), U16(0x55C4), U16(0));
        var mediaHandler = FullAtom("hdlr", 0, 0, Text("mhlr"), Text("meta"), Zeros(4), Zeros(4), Zeros(4), PascalString("Core Media Metadata"));
        var gmhd = Atom("gmhd", FullAtom("gmin", 0, 0, U16(0x0040), U16(0x8000), U16(0x8000), U16(0x8000), U16(0), U16(0)));
        var dataHandler = FullAtom("hdlr", 0, 0, Text("dhlr"), Text("url "), Zeros(4), Zeros(4), Zeros(4), PascalString("Core Media Data Handler"));
        var dinf = Atom("dinf", FullAtom("dref", 0, 0, U32(1), FullAtom("url ", 0, 1)));

        var stsd = FullAtom("stsd", 0, 0, U32(1), description);
        var stts = FullAtom("stts", 0, 0, [U32((uint)sampleDurations.Count), .. sampleDurations.SelectMany(run => new[] { U32(run.Count), U32(run.Duration) })]);
        var stsc = FullAtom("stsc", 0, 0, U32(1), U32(1), U32(sampleCount), U32(1));
        var stsz = FullAtom("stsz", 0, 0, U32((uint)sampleSize), U32(sampleCount));
        var stco = FullAtom("stco", 0, 0, U32(1), U32(sampleOffset));
        var stbl = Atom("stbl", stsd, stts, stsc, stsz, stco);

        var minf = Atom("minf", gmhd, dataHandler, dinf, stbl);
        var mdia = Atom("mdia", mdhd, mediaHandler, minf);
        return Atom("trak", tkhd, edts, mdia);
    }

    /// <summary>What the metadata tracks need of the movie's (first) video track, read from ffmpeg's version-0 atoms.</summary>
    private sealed record VideoTrack(int Width, int Height, uint TrackDuration, uint MediaTimescale, IReadOnlyList<(uint Count, uint Duration)> SampleDurations)
    {
        public int FrameCount => (int)SampleDurations.Sum(run => run.Count);

        public static VideoTrack Read(byte[] movie, AtomSpan trak)
        {
            var tkhd = Version0(movie, Children(movie, trak.PayloadStart, trak.End).First(a => a.Type == "tkhd"));
            var mdia = Children(movie, trak.PayloadStart, trak.End).First(a => a.Type == "mdia");
            var mdhd = Version0(movie, Children(movie, mdia.PayloadStart, mdia.End).First(a => a.Type == "mdhd"));
            var minf = Children(movie, mdia.PayloadStart, mdia.End).First(a => a.Type == "minf");
            var stbl = Children(movie, minf.PayloadStart, minf.End).First(a => a.Type == "stbl");
            var stts = Children(movie, stbl.PayloadStart, stbl.End).First(a => a.Type == "stts");
            var entries = (int)BinaryPrimitives.ReadUInt32BigEndian(movie.AsSpan((int)stts.PayloadStart + 4));
            var runs = new List<(uint Count, uint Duration)>();
            for (var i = 0; i < entries; i++)
            {
                var entry = movie.AsSpan((int)stts.PayloadStart + 8 + (8 * i));
                runs.Add((BinaryPrimitives.ReadUInt32BigEndian(entry), BinaryPrimitives.ReadUInt32BigEndian(entry[4..])));
            }

            return new VideoTrack(
                (int)(BinaryPrimitives.ReadUInt32BigEndian(tkhd[84..]) >> 16),
                (int)(BinaryPrimitives.ReadUInt32BigEndian(tkhd[88..]) >> 16),
                BinaryPrimitives.ReadUInt32BigEndian(tkhd[28..]),
                BinaryPrimitives.ReadUInt32BigEndian(mdhd[20..]),
                runs);
        }

        private static ReadOnlySpan<byte> Version0(byte[] movie, AtomSpan atom) =>
            movie[(int)atom.PayloadStart] == 0
                ? movie.AsSpan((int)atom.Start, (int)atom.Size)
                : throw new FormatException($"only version-0 '{atom.Type}' atoms are supported");
    }

    private static byte[] PascalString(string text) => [(byte)text.Length, .. Encoding.ASCII.GetBytes(text)];
}
