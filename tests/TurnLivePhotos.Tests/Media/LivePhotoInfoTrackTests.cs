using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using TurnLivePhotos.Media.QuickTime;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Media;

/// <summary>
/// The Live Photo movie's timed-metadata tracks: the live-photo-info track read by exiftool 13 for every video frame,
/// and an atom walk that sets our tracks beside the real iPhone 15 Plus movie's.
/// </summary>
public sealed class LivePhotoInfoTrackTests
{
    [RequiresToolsFact("exiftool", "ffmpeg", "ffprobe")]
    public async Task Exiftool_reads_live_photo_info_for_every_video_frame_and_the_movie_validates()
    {
        using var folder = new TempFolder();

        var live = await LivePhotoTests.WriteLiveAsync(TestPhotos.Scene(320, 240), folder, frames: 6);

        var (_, probe, _) = ExternalTools.Run("ffprobe", "-v", "error", "-count_packets", "-show_entries", "stream=codec_type,nb_read_packets", "-of", "csv=p=0", live.Movie);
        var counts = probe.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split(',')).ToList();
        var videoFrames = int.Parse(Assert.Single(counts, c => c[0] == "video")[1], CultureInfo.InvariantCulture);
        var dataPackets = counts.Where(c => c[0] == "data").Select(c => int.Parse(c[1], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal([1, videoFrames, 1], dataPackets); // orientation, one info sample per frame, still-image-time

        var (_, output, _) = ExternalTools.Run("exiftool", "-ee", "-a", "-s", "-s", "-n", "-LivePhotoInfo", live.Movie);
        var infos = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(line => line.StartsWith("LivePhotoInfo:", StringComparison.Ordinal)).ToList();
        Assert.Equal(videoFrames, infos.Count);
        Assert.All(infos, line => Assert.StartsWith("LivePhotoInfo: 3 0 0 0 0 0 0 0 0 0 4 0 -1 0 0", line)); // version 3, no motion, no subject

        var (_, validate, _) = ExternalTools.Run("exiftool", "-validate", "-warning", "-error", "-a", "-s", "-s", live.Movie);
        Assert.Equal("Validate: OK", validate.Trim());
        Assert.Equal(string.Empty, ExternalTools.Run("ffmpeg", "-v", "error", "-i", live.Movie, "-map", "0", "-c", "copy", "-f", "null", "-").Errors);
    }

    [RequiresSharedSamplesFact("ffmpeg")]
    public async Task The_metadata_tracks_have_the_iphone_movies_structure_and_sample_descriptions()
    {
        using var folder = new TempFolder();
        var iphone = MetadataTracks(await File.ReadAllBytesAsync(PhoneSamples.Shared("iphone_IMG_3853.MOV")));

        var live = await LivePhotoTests.WriteLiveAsync(TestPhotos.Scene(320, 240), folder, frames: 6);
        var ours = MetadataTracks(await File.ReadAllBytesAsync(live.Movie));

        // The same tracks in the same order, keyed the same way.
        Assert.Equal(
            [
                [LivePhotoTimedMetadata.VideoOrientationKey],
                [LivePhotoTimedMetadata.LivePhotoInfoKey],
                [LivePhotoTimedMetadata.StillImageTimeKey, LivePhotoTimedMetadata.StillImageTransformKey, LivePhotoTimedMetadata.StillImageTransformReferenceDimensionsKey],
            ],
            iphone.Select(t => t.Keys));
        Assert.Equal(iphone.Select(t => t.Keys), ours.Select(t => t.Keys));

        for (var i = 0; i < iphone.Count; i++)
        {
            // The track's atoms (no tref: the iPhone writes none), then its sample description atom by atom with every
            // leaf's bytes — except the live-photo-info key's 'setu' (the iPhone's iOS/framework versions and capture
            // size) and 'ctps', which we leave out on purpose.
            Assert.Equal(iphone[i].Tree, ours[i].Tree);
            Assert.DoesNotContain("tref", ours[i].Tree);
            Assert.Equal(iphone[i].Description.Where(a => !a.Path.Contains("/setu", StringComparison.Ordinal) && !a.Path.Contains("/ctps", StringComparison.Ordinal)), ours[i].Description);
        }

        Assert.Contains(iphone[1].Description, a => a.Path.EndsWith("/setu", StringComparison.Ordinal));
        // The iPhone writes live-photo-info once per video frame, and so do we.
        Assert.Equal(iphone[1].SampleCount, VideoSampleCount(await File.ReadAllBytesAsync(PhoneSamples.Shared("iphone_IMG_3853.MOV"))));
        Assert.Equal(ours[1].SampleCount, VideoSampleCount(await File.ReadAllBytesAsync(live.Movie)));
    }

    /// <summary>A metadata track: its mebx keys, the atom types of the track (paths), its sample description as (path, leaf bytes) and its sample count.</summary>
    private sealed record MetadataTrack(List<string> Keys, List<string> Tree, List<(string Path, string Bytes)> Description, uint SampleCount);

    private static List<MetadataTrack> MetadataTracks(byte[] movie)
    {
        var moov = Atoms.Children(movie, 0, movie.Length).Single(a => a.Type == "moov");
        var tracks = new List<MetadataTrack>();
        foreach (var trak in Atoms.Children(movie, moov.PayloadStart, moov.End).Where(a => a.Type == "trak"))
        {
            var stsd = Find(movie, trak, "mdia", "minf", "stbl", "stsd");
            var entry = Atoms.Children(movie, stsd.PayloadStart + 8, stsd.End).Single();
            if (entry.Type != "mebx")
            {
                continue;
            }

            var description = new List<(string, string)>();
            var keys = new List<string>();
            var keysAtom = Atoms.Children(movie, entry.PayloadStart + 8, entry.End).Single(a => a.Type == "keys");
            foreach (var key in Atoms.Children(movie, keysAtom.PayloadStart, keysAtom.End))
            {
                var localId = BinaryPrimitives.ReadUInt32BigEndian(movie.AsSpan((int)key.Start + 4));
                foreach (var atom in Atoms.Children(movie, key.PayloadStart, key.End))
                {
                    Describe(movie, atom, $"keys/{localId}", description);
                    if (atom.Type == "keyd")
                    {
                        keys.Add(Encoding.ASCII.GetString(movie, (int)atom.PayloadStart + 4, (int)(atom.End - atom.PayloadStart - 4)));
                    }
                }
            }

            var tree = new List<string>();
            Walk(movie, trak, "trak", tree);
            var stsz = Find(movie, trak, "mdia", "minf", "stbl", "stsz");
            tracks.Add(new MetadataTrack(keys, tree, description, BinaryPrimitives.ReadUInt32BigEndian(movie.AsSpan((int)stsz.PayloadStart + 8))));
        }

        return tracks;
    }

    /// <summary>Leaves keep their bytes; sdpd and setu are containers of further atoms.</summary>
    private static void Describe(byte[] movie, AtomSpan atom, string parent, List<(string, string)> description)
    {
        var path = $"{parent}/{atom.Type}";
        if (atom.Type is "sdpd" or "setu" or "ctps")
        {
            description.Add((path, string.Empty));
            foreach (var child in Atoms.Children(movie, atom.PayloadStart, atom.End))
            {
                Describe(movie, child, path, description);
            }
        }
        else
        {
            description.Add((path, Convert.ToHexString(movie, (int)atom.PayloadStart, (int)(atom.End - atom.PayloadStart))));
        }
    }

    private static void Walk(byte[] movie, AtomSpan atom, string path, List<string> tree)
    {
        tree.Add(path);
        if (atom.Type is "trak" or "edts" or "mdia" or "minf" or "gmhd" or "dinf" or "stbl" or "tref")
        {
            foreach (var child in Atoms.Children(movie, atom.PayloadStart, atom.End))
            {
                Walk(movie, child, $"{path}/{child.Type}", tree);
            }
        }
    }

    private static AtomSpan Find(byte[] movie, AtomSpan atom, params string[] path)
    {
        foreach (var type in path)
        {
            atom = Atoms.Children(movie, atom.PayloadStart, atom.End).First(a => a.Type == type);
        }

        return atom;
    }

    private static uint VideoSampleCount(byte[] movie)
    {
        var moov = Atoms.Children(movie, 0, movie.Length).Single(a => a.Type == "moov");
        var video = Atoms.Children(movie, moov.PayloadStart, moov.End).First(a => a.Type == "trak");
        var stsz = Find(movie, video, "mdia", "minf", "stbl", "stsz");
        return BinaryPrimitives.ReadUInt32BigEndian(movie.AsSpan((int)stsz.PayloadStart + 8));
    }
}
