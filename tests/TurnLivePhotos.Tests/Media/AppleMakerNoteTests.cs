using System.Buffers.Binary;
using System.Text.Json;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Engine.Classic;
using TurnLivePhotos.Media;
using TurnLivePhotos.Media.Decoding;
using TurnLivePhotos.Media.Formats;
using TurnLivePhotos.Media.Jpeg;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Media;

/// <summary>
/// Issue 27 item 3: the Live Photo still carries the photo's whole Apple MakerNote — every tag as the phone wrote it
/// (compared with exiftool -j -G -n), ContentIdentifier ours and LivePhotoVideoIndex gone — and the note's reader
/// holds its limits on hostile bytes.
/// </summary>
public sealed class AppleMakerNoteTests
{
    [RequiresToolsFact("ffmpeg", "exiftool")]
    public async Task The_jpeg_live_still_keeps_the_photos_whole_apple_makernote_with_our_identifier()
    {
        using var folder = new TempFolder();
        var photo = folder.Write("iphone.jpg", ApplePhotos.JpegWithMakerNote(ApplePhotos.MakerNote(ApplePhotos.IphoneLikeEntries)));

        var live = await WriteLiveAsync(await File.ReadAllBytesAsync(photo), folder, new OutputOptions { Formats = [OutputFormat.Live] });

        Assert.EndsWith(".JPG", live.Still, StringComparison.Ordinal);
        AssertWholeNoteKept(photo, live);
    }

    [RequiresSharedSamplesFact("ffmpeg", "exiftool")]
    public async Task The_iphone_15_makernote_is_kept_whole_in_a_jpeg_still()
    {
        using var folder = new TempFolder();
        var heic = PhoneSamples.Shared("iphone_IMG_3853.HEIC");
        var photo = folder.Write("iphone.jpg", TestPhotos.Scene(320, 240));
        var (exit, _, errors) = ExternalTools.Run("exiftool", "-q", "-overwrite_original", "-tagsFromFile", heic, "-exif:all", "-makernotes", photo);
        Assert.True(exit == 0, errors);
        Assert.Equal(MakerNoteTags(heic), MakerNoteTags(photo)); // exiftool copied the note as it was

        var live = await WriteLiveAsync(await File.ReadAllBytesAsync(photo), folder, new OutputOptions { Formats = [OutputFormat.Live] });

        AssertWholeNoteKept(photo, live);
    }

    [Fact]
    public void A_note_round_trips_with_every_tag_and_value()
    {
        var bytes = ApplePhotos.MakerNote(ApplePhotos.IphoneLikeEntries);

        var note = AppleMakerNote.Parse(bytes);
        var again = AppleMakerNote.Parse(note.WithContentIdentifier("NEW").ToBytes());

        Assert.Equal(ApplePhotos.IphoneLikeEntries.Select(e => e.Tag).Where(t => t != 0x0017), again.Entries.Select(e => e.Tag));
        foreach (var entry in ApplePhotos.IphoneLikeEntries.Where(e => e.Tag is not 0x0011 and not 0x0017))
        {
            var kept = again.Entries.Single(e => e.Tag == entry.Tag);
            Assert.Equal((entry.Type, entry.Count, Convert.ToHexString(entry.Value)), (kept.Type, kept.Count, Convert.ToHexString(kept.Value)));
        }

        Assert.Equal("NEW", again.ContentIdentifier);
        Assert.Equal([0, 1], again.Version);
    }

    [Fact]
    public void Over_the_limits_a_note_is_refused_with_the_reason()
    {
        var many = ApplePhotos.MakerNote(ApplePhotos.IphoneLikeEntries);
        BinaryPrimitives.WriteUInt16BigEndian(many.AsSpan(14), AppleMakerNote.MaxEntries + 1);
        Assert.Contains("entry limit", Assert.Throws<FormatException>(() => AppleMakerNote.Parse(many)).Message, StringComparison.Ordinal);

        var huge = new byte[AppleMakerNote.MaxBytes + 1];
        ApplePhotos.MakerNote().CopyTo(huge, 0);
        Assert.Contains("byte limit", Assert.Throws<FormatException>(() => AppleMakerNote.Parse(huge)).Message, StringComparison.Ordinal);

        Assert.Throws<FormatException>(() => AppleMakerNote.Parse("Nikon\0\0\0\0\0\0\0\0\0\0\0"u8.ToArray()));
    }

    /// <summary>1,000 entries all pointing at one 60 KB value: a reader copying each would copy 60 MB.</summary>
    [Fact]
    public void Overlapping_values_are_copied_no_more_than_the_note_holds()
    {
        const int valueBytes = 60_000;
        var entries = Enumerable.Range(0, 1000).Select(i => new ApplePhotos.Entry((ushort)(0x100 + i), 7, valueBytes, [])).ToArray();
        var note = ApplePhotos.MakerNote(entries);
        var valueAt = note.Length;
        Array.Resize(ref note, note.Length + valueBytes);
        for (var i = 0; i < entries.Length; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(note.AsSpan(16 + (12 * i) + 8), (uint)valueAt);
        }

        var notes = new List<MetadataNote>();
        var parsed = AppleMakerNote.Parse(note, notes);

        Assert.True(parsed.Entries.Sum(e => (long)e.Value.Length) <= note.Length);
        Assert.Single(parsed.Entries);
        Assert.Contains("999 of the Apple MakerNote's 1000 entries were left out", Assert.Single(notes).Reason, StringComparison.Ordinal);
    }

    /// <summary>Seeded mutations of an iPhone-shaped note: each parses or is refused with FormatException, and what parses writes back to the same entries.</summary>
    [Fact]
    public void Mutated_notes_parse_within_their_bytes_or_are_refused()
    {
        var original = ApplePhotos.MakerNote(ApplePhotos.IphoneLikeEntries);
        var random = new Random(27);
        for (var round = 0; round < 5000; round++)
        {
            var note = (byte[])original.Clone();
            switch (round % 4)
            {
                case 0:
                    Array.Resize(ref note, random.Next(note.Length));
                    break;
                case 1:
                    for (var flips = random.Next(1, 8); flips > 0; flips--)
                    {
                        note[random.Next(10, note.Length)] = (byte)random.Next(256);
                    }

                    break;
                case 2:
                    BinaryPrimitives.WriteUInt32BigEndian(note.AsSpan(16 + (12 * random.Next(ApplePhotos.IphoneLikeEntries.Length)) + (random.Next(2) == 0 ? 4 : 8)), (uint)random.Next());
                    break;
                default:
                    BinaryPrimitives.WriteUInt16BigEndian(note.AsSpan(14), (ushort)random.Next(ushort.MaxValue));
                    break;
            }

            AppleMakerNote parsed;
            try
            {
                parsed = AppleMakerNote.Parse(note);
            }
            catch (FormatException)
            {
                continue;
            }

            Assert.True(parsed.Entries.Sum(e => (long)e.Value.Length) <= note.Length + (4L * parsed.Entries.Count), $"round {round}");
            var rewritten = AppleMakerNote.Parse(parsed.ToBytes());
            Assert.Equal(parsed.Entries.Select(e => (e.Tag, e.Type, e.Count, Convert.ToHexString(e.Value))), rewritten.Entries.Select(e => (e.Tag, e.Type, e.Count, Convert.ToHexString(e.Value))));
        }
    }

    /// <summary>Every MakerNotes tag exiftool reads from <paramref name="photo"/> is in the still with the same value, but ContentIdentifier (the movie's) and LivePhotoVideoIndex (gone).</summary>
    internal static void AssertWholeNoteKept(string photo, LivePhotoFiles live)
    {
        var before = MakerNoteTags(photo);
        var after = MakerNoteTags(live.Still);
        Assert.True(before.ContainsKey("MakerNotes:LivePhotoVideoIndex"), "the photo should carry a LivePhotoVideoIndex to remove");
        Assert.True(before.Count > 5, $"the photo's note should have many tags, has {before.Count}");
        foreach (var (tag, value) in before.Where(pair => pair.Key is not "MakerNotes:ContentIdentifier" and not "MakerNotes:LivePhotoVideoIndex"))
        {
            Assert.True(after.TryGetValue(tag, out var kept), $"{tag} is missing from the still");
            Assert.Equal(value, kept);
        }

        Assert.False(after.ContainsKey("MakerNotes:LivePhotoVideoIndex"));
        Assert.Equal(before.Count - 1, after.Count);
        Assert.Equal(live.ContentIdentifier, after["MakerNotes:ContentIdentifier"].Trim('"'));
        var movie = VideoFormatTests.Exif(live.Movie, "-Keys:ContentIdentifier");
        Assert.Equal(live.ContentIdentifier, movie["ContentIdentifier"]);
        var (_, warnings, _) = ExternalTools.Run("exiftool", "-a", "-s", "-Warning", "-Error", live.Still);
        Assert.True(string.IsNullOrWhiteSpace(warnings), warnings);
    }

    /// <summary>exiftool -j -G -n of the MakerNotes group: "MakerNotes:Tag" → the JSON text of its value.</summary>
    internal static Dictionary<string, string> MakerNoteTags(string file)
    {
        var (exit, output, errors) = ExternalTools.Run("exiftool", "-j", "-G", "-n", "-MakerNotes:all", file);
        Assert.True(exit == 0, errors);
        using var json = JsonDocument.Parse(output);
        return json.RootElement[0].EnumerateObject()
            .Where(property => property.Name.StartsWith("MakerNotes:", StringComparison.Ordinal))
            .ToDictionary(property => property.Name, property => property.Value.GetRawText());
    }

    internal static async Task<LivePhotoFiles> WriteLiveAsync(byte[] photo, TempFolder folder, OutputOptions options)
    {
        var decoded = PhotoDecoder.Decode(photo).Image;
        var clip = await new ClassicMotionEngine().GenerateAsync(new MotionParameters { Frames = 3 }.ToRequest(decoded), null, CancellationToken.None);
        var written = await new OutputWriter(new FfmpegEncoder()).WriteAsync(photo, clip.Frames, 7, folder.Path, "clip", options, CancellationToken.None);
        Assert.True(written.Failures.Count == 0, string.Join("; ", written.Failures.Values));
        return written.Live!;
    }
}
