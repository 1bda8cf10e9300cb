using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text;
using MetadataExtractor;
using MetadataExtractor.Formats.Exif;
using Microsoft.Extensions.Logging.Abstractions;
using TurnLivePhotos.Core.Conversion;
using TurnLivePhotos.Engine;
using TurnLivePhotos.Media;
using TurnLivePhotos.Media.Decoding;
using TurnLivePhotos.Media.Formats;
using TurnLivePhotos.Media.Jpeg;
using TurnLivePhotos.Media.QuickTime;
using TurnLivePhotos.Media.Xmp;
using TurnLivePhotos.Server.Jobs;
using TurnLivePhotos.Tests.Support;
using static TurnLivePhotos.Tests.Media.HostileMetadata;

namespace TurnLivePhotos.Tests.Media;

/// <summary>
/// Untrusted metadata is parsed with limits (issue 24, item 3): XMP nested deep enough to overflow XmpCore's
/// recursive parser, nesting that made the property walk exponential, Exif IFD loops and overflowing offsets,
/// an MPF index pointing everywhere, QuickTime boxes of absurd sizes. Each converts with that metadata left out
/// and a note, or is refused with a clear error, quickly, and never ends the process.
/// </summary>
public sealed class HostileMetadataTests
{
    private static readonly byte[] Video = [.. new byte[4], .. "ftypisom"u8, .. new byte[500]];

    /// <summary>
    /// The probe that ended the server: 20,000 nested structs in Extended XMP. Run in a child process, so that
    /// without the depth check the stack overflow ends that process (exit 134), not the test host.
    /// </summary>
    [RequiresToolsFact("ffmpeg")]
    public async Task Extended_xmp_nested_20000_deep_converts_in_its_own_process_with_the_xmp_left_out_and_a_note()
    {
        using var folder = new TempFolder();
        var photo = folder.Write("deep.jpg", WithExtendedXmp(TestPhotos.Scene(160, 120), NestedXmp(20_000)));
        Assert.True(new FileInfo(photo).Length > 700_000);
        var config = folder.Write("c.ini", $"[StoreOptions]\nModelsHome={folder["models"]}\n");

        var (exit, output, errors) = await CliProcess.RunAsync(folder.Path, new Dictionary<string, string> { ["HF_HOME"] = folder["hf"] },
            "convert", photo, "-o", folder["out"], "--config", config, "--engine", "classic", "--frames", "3", "--format", "gif,live,motion");

        var firstErrors = string.Join(" | ", errors.Take(3)); // a stack overflow prints megabytes of frames
        Assert.True(exit == 0, $"exit {exit}: {firstErrors[..Math.Min(2_000, firstErrors.Length)]}");
        var note = Assert.Single(errors, line => line.StartsWith("note: deep.jpg: Extended XMP", StringComparison.Ordinal));
        Assert.Contains($"nested deeper than {XmpLimits.MaxDepth} levels", note, StringComparison.Ordinal);
        var still = Assert.Single(System.IO.Directory.GetFiles(folder["out"], "*.JPG"));
        var xmp = JpegXmp.Read(JpegFile.Parse(await File.ReadAllBytesAsync(still)))!;
        Assert.Equal("Hostile", xmp.GetPropertyString("http://ns.adobe.com/xap/1.0/", "CreatorTool")); // the standard packet stays
        Assert.False(xmp.DoesPropertyExist("http://example.com/a/", "n"));
        Assert.Contains(output, line => line.Contains(".gif (classic, 3 frames", StringComparison.Ordinal));
    }

    [RequiresToolsFact("ffmpeg")]
    public async Task A_server_job_on_that_photo_succeeds_and_its_message_says_what_was_left_out()
    {
        await using var server = await RunningServer.StartAsync();
        var photo = WithExtendedXmp(TestPhotos.Scene(160, 120), NestedXmp(20_000));

        using var created = await server.Client.PostAsync("api/v1/jobs", RunningServer.Form(photo, "deep.jpg", ("formats", "live,motion,gif"), ("frames", "3")));
        Assert.Equal(System.Net.HttpStatusCode.Accepted, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();

        var clock = Stopwatch.StartNew();
        JsonElement job;
        while ((job = await server.Client.GetFromJsonAsync<JsonElement>($"api/v1/jobs/{id}")).GetProperty("state").GetString() is "queued" or "running")
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"job {id} still {job.GetProperty("state")}");
            await Task.Delay(100);
        }

        Assert.Equal("succeeded", job.GetProperty("state").GetString());
        Assert.Equal($"left out of the still: Extended XMP: dropped: elements nested deeper than {XmpLimits.MaxDepth} levels", job.GetProperty("message").GetString());
        Assert.Equal(["gif", "live", "motion"], job.GetProperty("files").EnumerateObject().Select(file => file.Name).Order());
    }

    [Fact]
    public void A_standard_packet_nested_as_deep_as_one_segment_holds_is_left_out_with_a_note()
    {
        var depth = DeepestStandardNesting;
        Assert.True(depth > 1_500, $"only {depth} levels fit");
        var photo = WithXmp(TestPhotos.Scene(64, 48), NestedXmp(depth));

        var still = StillPhoto.Prepare(photo);

        var note = Assert.Single(still.Notes);
        Assert.Equal(MetadataPart.Xmp, note.Part);
        Assert.Contains($"nested deeper than {XmpLimits.MaxDepth} levels", note.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(JpegFile.Parse(still.Jpeg).Segments, segment => segment.IsXmp);
        Assert.Empty(StillPhoto.Prepare(WithXmp(TestPhotos.Scene(64, 48), NestedXmp(XmpLimits.MaxDepth - 8))).Notes);

        // A rotated photo is re-encoded by ImageMagick, which carries the packet over; it is checked there too.
        var rotated = JpegFile.Parse(TestPhotos.JpegWithOrientation6(64, 48));
        rotated.Segments.RemoveAll(segment => segment.IsXmp);
        rotated.Segments.Insert(rotated.MetadataInsertIndex(), StandardXmp(NestedXmp(depth)));
        var upright = StillPhoto.Prepare(rotated.ToArray());
        Assert.Equal((48, 64), (upright.Width, upright.Height));
        Assert.Equal(MetadataPart.Xmp, Assert.Single(upright.Notes).Part);
        Assert.DoesNotContain(JpegFile.Parse(upright.Jpeg).Segments, segment => segment.IsXmp);
    }

    [Fact]
    public async Task Forty_levels_of_nesting_are_kept_and_every_writer_finishes_quickly()
    {
        var photo = WithXmp(TestPhotos.Scene(64, 48), NestedXmp(40));

        // Before, the top-level property walk doubled with each level: 25 levels took 2.8 s, 40 never ended.
        var written = await Task.Run(() =>
        {
            var still = StillPhoto.Prepare(photo);
            Assert.Empty(still.Notes);
            return MotionPhotoWriter.Compose(still.Jpeg, Video, 0);
        }).WaitAsync(TimeSpan.FromSeconds(10));

        var xmp = JpegXmp.Read(JpegFile.Parse(written))!;
        Assert.Equal("1", xmp.GetPropertyString(XmpNamespaces.Camera, "MotionPhoto"));
        Assert.Equal("deep", xmp.GetPropertyString("http://example.com/a/", string.Concat(Enumerable.Repeat("n/a:", 40)) + "leaf"));
    }

    [Fact]
    public async Task Walking_merging_and_splitting_xmp_takes_time_linear_in_its_nesting()
    {
        var times = new List<(int Depth, TimeSpan Time)>();
        await Task.Run(() =>
        {
            for (var depth = 10; depth <= 60; depth += 10)
            {
                var meta = XmpPacket.TryParse(Encoding.UTF8.GetBytes(NestedXmp(depth)))!;
                var clock = Stopwatch.StartNew();
                var top = XmpPacket.TopLevelProperties(meta);
                XmpPacket.MergeExtended(meta, XmpPacket.TryParse(Encoding.UTF8.GetBytes(NestedXmp(depth)))!);
                XmpPacket.Split(meta, (_, _) => false);
                times.Add((depth, clock.Elapsed));
                Assert.Equal(new[] { ("http://example.com/a/", "a:n"), ("http://ns.adobe.com/xap/1.0/", "xmp:CreatorTool") }, top.Order());
            }
        }).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(6, times.Count);
    }

    [Fact]
    public void Xmp_over_a_count_limit_or_not_xml_is_left_out_with_its_reason()
    {
        var attributes = string.Concat(Enumerable.Range(0, XmpLimits.MaxNamedChildren + 1).Select(i => $" a:f{i}=\"v\""));
        Assert.Contains("named children", XmpLimits.Check(Encoding.UTF8.GetBytes(NestedXmp(1, attributes))), StringComparison.Ordinal);
        Assert.Contains("not well-formed", XmpLimits.Check(Encoding.UTF8.GetBytes("<!DOCTYPE x [<!ENTITY a \"b\">]><x>&a;</x>")), StringComparison.Ordinal);
        Assert.Null(XmpLimits.Check(Encoding.UTF8.GetBytes(NestedXmp(XmpLimits.MaxDepth - 4))));

        var items = string.Concat(Enumerable.Repeat("<rdf:li>x</rdf:li>", XmpLimits.MaxNodes + 1));
        var packet = $"""<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:a="http://example.com/a/"><a:list><rdf:Bag>{items}</rdf:Bag></a:list></rdf:Description></rdf:RDF></x:xmpmeta>""";
        var still = StillPhoto.Prepare(WithExtendedXmp(TestPhotos.Scene(64, 48), packet));

        var note = Assert.Single(still.Notes);
        Assert.Equal(MetadataPart.ExtendedXmp, note.Part);
        Assert.Contains($"more than {XmpLimits.MaxNodes} elements", note.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_extended_xmp_element_with_30000_attributes_is_left_out_without_parsing_it()
    {
        // XmpCore checks each new field against its siblings one by one: 10,000 attributes on one element took 2 s
        // to parse, 50,000 took 49 s. Over the limit of named children, the packet is never handed to it.
        var attributes = string.Concat(Enumerable.Range(0, 30_000).Select(i => $" a:f{i}=\"v\""));
        var photo = WithExtendedXmp(TestPhotos.Scene(64, 48), NestedXmp(1, attributes));

        var still = await Task.Run(() => StillPhoto.Prepare(photo)).WaitAsync(TimeSpan.FromSeconds(10));

        var note = Assert.Single(still.Notes);
        Assert.Equal(new MetadataNote(MetadataPart.ExtendedXmp, $"dropped: an element with more than {XmpLimits.MaxNamedChildren} named children and attributes"), note);
    }

    [Fact]
    public void Only_the_first_few_of_many_unreadable_packets_are_tried()
    {
        // Each packet is read to its end before XmpCore finds the duplicate property that makes it unreadable.
        var filler = string.Concat(Enumerable.Range(0, 1_000).Select(i => $"<a:p{i}>v</a:p{i}>"));
        var packet = NestedXmp(1).Replace("<a:leaf>deep</a:leaf>", filler + "<a:dup>1</a:dup><a:dup>2</a:dup>", StringComparison.Ordinal);
        var photo = WithSegments(TestPhotos.Scene(64, 48), [.. Enumerable.Repeat(StandardXmp(packet), 200)]);

        var still = StillPhoto.Prepare(photo);

        Assert.Equal(JpegXmp.MaxPacketsTried, still.Notes.Count);
        Assert.All(still.Notes, note => Assert.Equal(new MetadataNote(MetadataPart.Xmp, "a packet was dropped: unreadable (BadXmp)"), note));
        Assert.DoesNotContain(JpegFile.Parse(still.Jpeg).Segments, segment => segment.IsXmp);
    }

    [Fact]
    public void Real_phone_xmp_is_within_every_limit()
    {
        Assert.Empty(StillPhoto.Prepare(File.ReadAllBytes(PhoneSamples.PixelMotionPhoto)).Notes);
        var ultraHdr = StillPhoto.Prepare(UltraHdrPhotos.Make(64, 48).File);
        Assert.Empty(ultraHdr.Notes);
        Assert.NotNull(ultraHdr.GainMap);
    }

    [Fact]
    public void An_exif_sub_ifd_pointing_back_at_ifd0_is_left_out_instead_of_written_as_a_loop()
    {
        var still = StillPhoto.Prepare(WithSegments(TestPhotos.Scene(64, 48), Exif(Tiff(exifPointer: 8, nextIfd: 8))));

        Assert.Contains(still.Notes, n => n.Part == MetadataPart.Exif && n.Reason.StartsWith("the Exif IFD was dropped: it points back", StringComparison.Ordinal));
        Assert.Contains(still.Notes, n => n.Part == MetadataPart.Exif && n.Reason.StartsWith("the IFD1 IFD was dropped: it points back", StringComparison.Ordinal));
        var directories = ImageMetadataReader.ReadMetadata(new MemoryStream(still.Jpeg));
        Assert.Equal("Hostile", directories.OfType<ExifIfd0Directory>().Single().GetString(ExifDirectoryBase.TagMake));
        var exif = directories.OfType<ExifSubIfdDirectory>().Single();
        Assert.False(exif.ContainsTag(ExifDirectoryBase.TagMake)); // IFD0's entries are not copied into the Exif IFD
        Assert.Empty(directories.OfType<ExifThumbnailDirectory>());
    }

    [Fact]
    public void Exif_offsets_that_overflow_and_an_entry_count_past_the_end_lose_only_those_parts()
    {
        var overflowing = StillPhoto.Prepare(WithSegments(TestPhotos.Scene(64, 48),
            Exif(Tiff(gpsPointer: 0xFFFFFFFF, nextIfd: 140, thumbnailOffset: 0xFFFFFFF0, thumbnailLength: 0x20))));
        var cutShort = StillPhoto.Prepare(WithSegments(TestPhotos.Scene(64, 48), Exif(Tiff(ifd0Count: 65535))));

        Assert.Contains(overflowing.Notes, n => n.Reason.StartsWith("the GPS IFD was dropped: its offset 4294967295 lies past the end", StringComparison.Ordinal));
        Assert.Contains(overflowing.Notes, n => n.Reason.StartsWith("the thumbnail was dropped", StringComparison.Ordinal));
        Assert.Contains(cutShort.Notes, n => n.Reason.StartsWith("the IFD0 IFD was cut short", StringComparison.Ordinal));
        foreach (var still in new[] { overflowing, cutShort })
        {
            // Before, either one made the whole Exif unreadable and it was replaced by a minimal one.
            var directories = ImageMetadataReader.ReadMetadata(new MemoryStream(still.Jpeg));
            Assert.Equal("Hostile", directories.OfType<ExifIfd0Directory>().Single().GetString(ExifDirectoryBase.TagMake));
            Assert.Equal("2024:05:01 12:00:00", directories.OfType<ExifSubIfdDirectory>().Single().GetString(ExifDirectoryBase.TagDateTimeOriginal));
        }
    }

    [Fact]
    public void Exif_values_that_all_overlap_copy_no_more_than_the_segment_holds()
    {
        // 2,000 entries × 40,000 bytes: 80 MB copied from a 64 KB segment, and an Exif too large to write back.
        var still = StillPhoto.Prepare(WithSegments(TestPhotos.Scene(64, 48), Exif(OverlappingValuesTiff(2_000, 40_000))));

        var note = Assert.Single(still.Notes);
        Assert.Equal("1999 entries of the IFD0 IFD were dropped: their values lie past the end of the segment or overlap others", note.Reason);
        Assert.True(still.Jpeg.Length < 200_000);
    }

    [Fact]
    public void An_mpf_index_pointing_past_the_end_and_thousands_of_times_at_one_image_is_read_once_and_noted()
    {
        var photo = UltraHdrPhotos.Make(64, 48);
        var primary = JpegFile.Parse(photo.File);
        var decoy = TestPhotos.Scene(400, 300); // a JPEG between primary and gain map without gain-map metadata
        var at = primary.Segments.FindIndex(MultiPictureIndex.IsIndex);
        var entries = 1 + 1_000 + 2_000 + 1;
        primary.Segments[at] = new JpegSegment(0xE2, MultiPictureIndex.Write(Enumerable.Repeat(new MultiPictureEntry(0, 0, 0), entries).ToList()));
        var primaryLength = primary.ToArray().Length;
        var tiffHeader = 2 + primary.Segments.Take(at).Sum(s => 4 + s.Payload.Length) + MultiPictureIndex.MarkerToTiffHeader;
        var decoyOffset = (uint)(primaryLength - tiffHeader);
        var list = new List<MultiPictureEntry> { new(MultiPictureEntry.PrimaryImage, (uint)primaryLength, 0) };
        list.AddRange(Enumerable.Range(0, 1_000).Select(i => new MultiPictureEntry(0, 5_000, 0xFFFF_0000 + (uint)i))); // past the end
        list.AddRange(Enumerable.Repeat(new MultiPictureEntry(0, (uint)decoy.Length, decoyOffset), 2_000));
        list.Add(new MultiPictureEntry(0, (uint)photo.GainMap.Length, decoyOffset + (uint)decoy.Length));
        primary.Segments[at] = new JpegSegment(0xE2, MultiPictureIndex.Write(list));
        var file = Bytes.Concat(primary.ToArray(), decoy, photo.GainMap);

        var still = StillPhoto.Prepare(file);

        Assert.Equal(photo.GainMap, still.GainMap);
        var note = Assert.Single(still.Notes);
        Assert.Equal(new MetadataNote(MetadataPart.MultiPictureIndex, "2999 entries skipped: they point outside the file or into the primary or another image"), note);
    }

    [Fact]
    public void Icc_chunks_that_do_not_make_one_profile_are_left_out_of_a_byte_for_byte_still()
    {
        byte[] original;
        using (var image = TestPhotos.SceneImage(64, 48))
        {
            image.SetProfile(ImageMagick.ColorProfiles.SRGB);
            original = image.ToByteArray(ImageMagick.MagickFormat.Jpeg);
        }

        var chunk = JpegFile.Parse(original).Segments.Single(IccProfileSegments.IsChunk);
        byte[] Variant(Func<JpegSegment, JpegSegment[]> change)
        {
            var file = JpegFile.Parse(original);
            var at = file.Segments.FindIndex(IccProfileSegments.IsChunk);
            file.Segments.RemoveAt(at);
            file.Segments.InsertRange(at, change(chunk));
            return file.ToArray();
        }

        JpegSegment With(int at, params byte[] bytes)
        {
            var payload = (byte[])chunk.Payload.Clone();
            bytes.CopyTo(payload, at);
            return new JpegSegment(0xE2, payload);
        }

        var variants = new Dictionary<byte[], string>
        {
            [Variant(c => [c, c])] = "sequence number 1 is out of 1..1 or repeated",
            [Variant(c => [With(13, 3)])] = "2 of its 3 chunks are missing",
            [Variant(c => [With(12, 0)])] = "sequence number 0 is out of 1..1 or repeated",
            [Variant(c => [With(14, 0x7F, 0xFF, 0xFF, 0xFF)])] = $"its header says {0x7FFFFFFF} bytes, its chunks hold {chunk.Payload.Length - 14}",
        };

        var kept = StillPhoto.Prepare(original);
        Assert.Empty(kept.Notes);
        Assert.Equal(chunk.Payload, JpegFile.Parse(kept.Jpeg).Segments.Single(IccProfileSegments.IsChunk).Payload);
        foreach (var (photo, reason) in variants)
        {
            var still = StillPhoto.Prepare(photo);
            Assert.Equal(new MetadataNote(MetadataPart.IccProfile, "dropped: " + reason), Assert.Single(still.Notes));
            Assert.DoesNotContain(JpegFile.Parse(still.Jpeg).Segments, IccProfileSegments.IsChunk);
        }
    }

    [Fact]
    public void Quicktime_atoms_of_absurd_sizes_are_format_errors_and_never_wrap_an_offset()
    {
        byte[] Parent(params byte[][] children) => children.SelectMany(c => c).ToArray();
        var free = Box("free", []);

        Assert.Throws<FormatException>(() => Atoms.Children(Parent(free, Box("mdat", 0x7FFF_FFFF)), 0, 16));
        Assert.Throws<FormatException>(() => Atoms.Children(Parent(free, Box("mdat", 1, 0x7FFF_FFFF_FFFF_FFF0)), 0, 24));
        Assert.Throws<FormatException>(() => Atoms.Children(Parent(free, Box("mdat", 1, 0xFFFF_FFFF_FFFF_FFF0)), 0, 24));
        Assert.Throws<FormatException>(() => Atoms.Children(Parent(free, Box("mdat", 1)), 0, 16)); // its 64-bit size is cut off
        Assert.Throws<FormatException>(() => Atoms.Children(Parent(free, Box("mdat", 4)), 0, 16));
        Assert.Throws<FormatException>(() => Atoms.Children(new byte[8 * (Atoms.MaxChildren + 1)].Select((_, i) => i % 8 == 3 ? (byte)8 : (byte)0).ToArray(), 0, 8 * (Atoms.MaxChildren + 1)));

        // Size 0 in the middle reaches to the end of the parent (ISO/IEC 14496-12 4.2): the walk ends there.
        var zero = Atoms.Children(Parent(free, Box("mdat", 0), free, free), 0, 32);
        Assert.Equal([("free", 8L), ("mdat", 24L)], zero.Select(a => (a.Type, a.Size)));

        // Nesting costs one level per call, with no recursion: 10,000 levels walked down one by one.
        var nested = NestedBoxes("moov", 10_000);
        var (start, end, levels) = (0L, (long)nested.Length, 0);
        while (Atoms.Children(nested, start, end) is [var only])
        {
            (start, end, levels) = (only.PayloadStart, only.End, levels + 1);
        }

        Assert.Equal(10_000, levels);
    }

    [RequiresToolsFact("heif-enc")]
    public void Heif_boxes_of_absurd_sizes_and_depths_end_quickly_in_a_still_or_a_clean_refusal()
    {
        using var folder = new TempFolder();
        var png = folder.Write("in.png", TestPhotos.Scene(64, 48, ImageMagick.MagickFormat.Png));
        var (exit, _, errors) = ExternalTools.Run("heif-enc", "-q", "80", "-o", folder["in.heic"], png);
        Assert.True(exit == 0, errors);
        var heic = File.ReadAllBytes(folder["in.heic"]);
        var meta = Atoms.Children(heic, 0, heic.Length).Single(a => a.Type == "meta");

        var variants = new Dictionary<string, byte[]>
        {
            ["meta larger than the file"] = Patched(heic, (int)meta.Start, 0x7FFF_FFFF),
            ["meta size 0 then more boxes"] = [.. Patched(heic, (int)meta.Start, 0), .. Box("free", [])],
            ["meta with a 64-bit size of 2^64 - 16"] = [.. heic[..(int)meta.Start], .. Box("meta", 1, 0xFFFF_FFFF_FFFF_FFF0), .. heic[(int)(meta.Start + 8)..]],
            ["10,000 nested boxes in meta"] = Nested(heic, meta, NestedBoxes("dinf", 10_000)),
        };

        foreach (var (name, bytes) in variants)
        {
            var clock = Stopwatch.StartNew();
            // libheif's own limits (box size, nesting) refuse most; a size-0 meta just reaches to the end of the file.
            var refused = Record.Exception(() => StillPhoto.Prepare(bytes));
            Assert.True(refused is null or UnsupportedPhotoException or ImageMagick.MagickException, $"{name}: {refused}");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"{name}: {clock.Elapsed}");
        }

        static byte[] Patched(byte[] file, int at, uint size)
        {
            var copy = (byte[])file.Clone();
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(at), size);
            return copy;
        }

        static byte[] Nested(byte[] file, AtomSpan meta, byte[] boxes)
        {
            var copy = Patched(file, (int)meta.Start, (uint)(meta.Size + boxes.Length));
            return [.. copy[..(int)meta.End], .. boxes, .. copy[(int)meta.End..]];
        }
    }

    [Fact]
    public void A_job_whose_still_left_metadata_out_succeeds_and_says_what_in_its_message()
    {
        var request = new JobRequest(new MotionParameters(), EngineKind.Classic, [OutputFormat.Gif], null);
        var record = new JobRecord("j", DateTimeOffset.UtcNow, JobState.Running, request, null, new Dictionary<OutputFormat, string>(), 1, null);
        var written = new WrittenOutputs(new Dictionary<OutputFormat, string>(), new Dictionary<OutputFormat, string>())
        {
            MetadataNotes = [new MetadataNote(MetadataPart.ExtendedXmp, "dropped: elements nested deeper than 64 levels")],
        };
        var result = new ConversionResult(written, "classic", false, "asked for", 3, TimeSpan.FromSeconds(1));

        var finished = JobOutcome.Of(record, Task.FromResult(result), canceledByUser: false, NullLogger.Instance);

        Assert.Equal(JobState.Succeeded, finished.State);
        Assert.Equal("left out of the still: Extended XMP: dropped: elements nested deeper than 64 levels", finished.Message);
    }
}
