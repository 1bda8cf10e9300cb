using System.IO.Compression;
using ImageMagick;
using TurnLivePhotos.Media.Formats;
using TurnLivePhotos.Media.Heif;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Media;

/// <summary>
/// Issue 27 item 2: a HEIC photo's Live Photo still is a HEIC that keeps every coded item byte for byte (primary
/// grid and tiles, thumbnail, alpha or HDR gain-map auxiliary images, their properties and references) with only
/// the Exif item changed, readable by exiftool (our identifier, no warning), libheif and ImageMagick.
/// </summary>
public sealed class HeicLiveStillTests
{
    [RequiresToolsFact("heif-enc", "heif-info", "ffmpeg", "exiftool")]
    public async Task A_heic_photos_live_still_is_the_heic_with_every_item_kept_and_its_whole_makernote()
    {
        using var folder = new TempFolder();
        var heic = ApplePhotos.Heic(folder, ApplePhotos.JpegWithMakerNote(ApplePhotos.MakerNote(ApplePhotos.IphoneLikeEntries)), "jpg");
        var photo = folder.Write("photo.heic", heic);
        Assert.NotNull(HeifExif.ItemOf(HeifFile.Parse(heic))); // heif-enc carried the JPEG's Exif over

        var live = await AppleMakerNoteTests.WriteLiveAsync(heic, folder, new OutputOptions { Formats = [OutputFormat.Live] });

        Assert.Equal(".HEIC", Path.GetExtension(live.Still));
        var still = await File.ReadAllBytesAsync(live.Still);
        AssertItemsKept(heic, still, added: false);
        AppleMakerNoteTests.AssertWholeNoteKept(photo, live);
        AssertOpens(heic, still);
        using var zip = ZipFile.OpenRead(live.Zip);
        Assert.Equal(["CLIP.HEIC", "CLIP.MOV"], zip.Entries.Select(e => e.FullName).Order());
        Assert.True(File.Exists(Path.Combine(live.Package, "CLIP.HEIC")));
    }

    [RequiresToolsFact("heif-enc", "heif-info", "exiftool")]
    public void A_heic_without_exif_gets_an_exif_item_for_the_primary_and_keeps_its_alpha_and_thumbnail()
    {
        using var folder = new TempFolder();
        var heic = ApplePhotos.Heic(folder, ApplePhotos.PngWithAlpha(160, 120), "png");
        var original = HeifFile.Parse(heic);
        Assert.Null(HeifExif.ItemOf(original));
        Assert.Contains(original.References, r => r.Type == "auxl" && r.To.Contains(original.PrimaryItemId));

        var made = LivePhotoHeicStill.Make(heic, "0C6B1D8E-1B1F-4D2B-8C47-2E7B9A5F3D10");

        var path = folder.Write("still.heic", made.Heic);
        AssertItemsKept(heic, made.Heic, added: true);
        var still = HeifFile.Parse(made.Heic);
        var exif = HeifExif.ItemOf(still)!.Value;
        Assert.Contains(still.PrimaryItemId, still.ReferencedFrom(exif, "cdsc"));
        Assert.Equal("0C6B1D8E-1B1F-4D2B-8C47-2E7B9A5F3D10", VideoFormatTests.Exif(path, "-Apple:ContentIdentifier")["ContentIdentifier"]);
        var (_, info, _) = ExternalTools.Run("heif-info", path);
        Assert.Contains("alpha channel: yes", info, StringComparison.Ordinal);
        Assert.Contains("thumbnail:", info, StringComparison.Ordinal);
        Assert.Contains("Exif:", info, StringComparison.Ordinal);
        AssertOpens(heic, made.Heic);
    }

    [RequiresSharedSamplesFact("heif-info", "exiftool")]
    public void The_iphone_15_heic_keeps_its_gain_map_tiles_thumbnail_and_every_other_item_byte_for_byte()
    {
        using var folder = new TempFolder();
        var source = PhoneSamples.Shared("iphone_IMG_3853.HEIC");
        var heic = File.ReadAllBytes(source);
        var original = HeifFile.Parse(heic);
        var gainMap = original.References.Single(r => r.Type == "auxl" && r.To.Contains(original.PrimaryItemId)).From;

        var made = LivePhotoHeicStill.Make(heic, "5A0E9E4C-7D7B-4C1B-9A43-1F2E3D4C5B6A");

        var path = folder.Write("IMG_3853.HEIC", made.Heic);
        AssertItemsKept(heic, made.Heic, added: false);
        var still = HeifFile.Parse(made.Heic);
        Assert.Contains(still.References, r => r.Type == "auxl" && r.From == gainMap && r.To.SequenceEqual([still.PrimaryItemId]));
        Assert.Equal(original.ItemBytes(gainMap), still.ItemBytes(gainMap));
        foreach (var tile in original.ReferencedFrom(gainMap, "dimg"))
        {
            Assert.Equal(original.ItemBytes(tile), still.ItemBytes(tile));
        }

        var before = AppleMakerNoteTests.MakerNoteTags(source);
        var after = AppleMakerNoteTests.MakerNoteTags(path);
        Assert.Equal(before.Where(p => p.Key is not "MakerNotes:ContentIdentifier" and not "MakerNotes:LivePhotoVideoIndex"),
            after.Where(p => p.Key != "MakerNotes:ContentIdentifier"));
        Assert.Equal("\"5A0E9E4C-7D7B-4C1B-9A43-1F2E3D4C5B6A\"", after["MakerNotes:ContentIdentifier"]);
        Assert.Equal(ExifTags(source), ExifTags(path)); // the rest of the Exif as the phone wrote it
        var (_, warnings, _) = ExternalTools.Run("exiftool", "-a", "-s", "-Warning", "-Error", path);
        Assert.True(string.IsNullOrWhiteSpace(warnings), warnings);
        var taken = VideoFormatTests.Exif(source, "-DateTimeOriginal")["DateTimeOriginal"];
        Assert.Equal(taken, made.Captured?.Local.ToString("yyyy:MM:dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture)); // for the movie
        AssertOpens(heic, made.Heic);
    }

    /// <summary>4,100 free boxes after the image: libheif and ImageMagick read past them, our reader refuses the file.</summary>
    [RequiresToolsFact("heif-enc", "ffmpeg")]
    public async Task A_heic_we_cannot_carry_over_gets_a_jpeg_still_and_a_note_under_auto_and_fails_its_live_photo_under_heic()
    {
        using var folder = new TempFolder();
        var made = ApplePhotos.Heic(folder, TestPhotos.Scene(160, 120, MagickFormat.Png), "png");
        var heic = Bytes(made, Enumerable.Range(0, 4100).SelectMany(_ => HostileMetadata.Box("free", Array.Empty<byte>())).ToArray());
        var clip = await new TurnLivePhotos.Engine.Classic.ClassicMotionEngine().GenerateAsync(
            new TurnLivePhotos.Engine.MotionParameters { Frames = 3 }.ToRequest(TurnLivePhotos.Media.Decoding.PhotoDecoder.Decode(heic).Image), null, CancellationToken.None);

        var auto = await new OutputWriter(new FfmpegEncoder()).WriteAsync(heic, clip.Frames, 7, folder.Path, "auto",
            new OutputOptions { Formats = [OutputFormat.Live] }, CancellationToken.None);
        var insisted = await new OutputWriter(new FfmpegEncoder()).WriteAsync(heic, clip.Frames, 7, folder.Path, "insisted",
            new OutputOptions { Formats = [OutputFormat.Live], AppleStill = AppleStill.Heic }, CancellationToken.None);

        Assert.Equal(".JPG", Path.GetExtension(auto.Files[OutputFormat.Live]));
        var note = Assert.Single(auto.MetadataNotes, n => n.Part == TurnLivePhotos.Media.MetadataPart.HeifItems);
        Assert.Contains("more than 4096 boxes", note.Reason, StringComparison.Ordinal);
        Assert.Equal("the file holds more than 4096 boxes", insisted.Failures[OutputFormat.Live]);

        static byte[] Bytes(byte[] a, byte[] b) => [.. a, .. b];
    }

    [RequiresToolsFact("ffmpeg")]
    public async Task With_apple_still_heic_a_jpeg_photo_fails_only_its_live_photo_with_the_reason()
    {
        using var folder = new TempFolder();
        var photo = TestPhotos.Scene(160, 120);
        var clip = await new TurnLivePhotos.Engine.Classic.ClassicMotionEngine().GenerateAsync(
            new TurnLivePhotos.Engine.MotionParameters { Frames = 3 }.ToRequest(TurnLivePhotos.Media.Decoding.PhotoDecoder.Decode(photo).Image), null, CancellationToken.None);
        var written = await new OutputWriter(new FfmpegEncoder()).WriteAsync(photo, clip.Frames, 7, folder.Path, "jpeg",
            new OutputOptions { Formats = [OutputFormat.Live, OutputFormat.Gif], AppleStill = AppleStill.Heic }, CancellationToken.None);
        Assert.Equal("AppleStill=heic needs a HEIC/HEIF photo; this one is JPEG (use auto or jpeg)", written.Failures[OutputFormat.Live]);
        Assert.True(File.Exists(written.Files[OutputFormat.Gif]));
        Assert.Empty(Directory.GetFiles(folder.Path, "JPEG.*"));
    }

    [RequiresToolsFact("heif-enc", "ffmpeg", "exiftool")]
    public void A_samsung_heic_motion_photos_still_loses_the_video_and_the_xmp_fields_announcing_it()
    {
        using var folder = new TempFolder();
        var heic = PhoneInputTests.Make("samsung-heic", folder);
        var photo = folder.Write("samsung.heic", heic);
        Assert.Equal("1", VideoFormatTests.Exif(photo, "-XMP-GCamera:MotionPhoto", "-n")["MotionPhoto"]);
        var original = HeifFile.Parse(heic);
        var xmp = original.Items.Single(i => i.ContentType == "application/rdf+xml").ItemId;

        var made = LivePhotoHeicStill.Make(heic, "9D1C2B3A-4E5F-4061-8273-94A5B6C7D8E9");

        var path = folder.Write("still.heic", made.Heic);
        Assert.Equal(["ftyp", "meta", "mdat"], IsoBox.ReadAll(made.Heic, 0, made.Heic.Length, "the file").Select(b => b.Type));
        Assert.Contains("mpvd", IsoBox.ReadAll(heic, 0, heic.Length, "the file").Select(b => b.Type));
        var tags = VideoFormatTests.Exif(path, "-XMP-GCamera:all", "-Apple:ContentIdentifier");
        Assert.DoesNotContain(tags.Keys, key => key.StartsWith("MotionPhoto", StringComparison.Ordinal) || key.StartsWith("MicroVideo", StringComparison.Ordinal));
        Assert.Equal("9D1C2B3A-4E5F-4061-8273-94A5B6C7D8E9", tags["ContentIdentifier"]);
        AssertItemsKept(heic, made.Heic, added: true, xmp);
        var (_, warnings, _) = ExternalTools.Run("exiftool", "-a", "-s", "-Warning", "-Error", path);
        Assert.True(string.IsNullOrWhiteSpace(warnings), warnings);
    }

    /// <summary>
    /// Every item of <paramref name="before"/> but its Exif is in <paramref name="after"/> with the same bytes, the
    /// same item info, and every reference; the properties (iprp) and ftyp are byte for byte the same.
    /// </summary>
    internal static void AssertItemsKept(byte[] before, byte[] after, bool added, params uint[] changed)
    {
        var original = HeifFile.Parse(before);
        var still = HeifFile.Parse(after);
        var exif = HeifExif.ItemOf(original);
        Assert.Equal(original.PrimaryItemId, still.PrimaryItemId);
        Assert.Equal(original.Locations.Count + (added ? 1 : 0), still.Locations.Count);
        foreach (var location in original.Locations.Where(l => l.ItemId != exif && !changed.Contains(l.ItemId)))
        {
            Assert.True(original.ItemBytes(location.ItemId).AsSpan().SequenceEqual(still.ItemBytes(location.ItemId)), $"item {location.ItemId} changed");
        }

        Assert.Equal(original.Items, still.Items.Take(original.Items.Count));
        foreach (var reference in original.References)
        {
            Assert.Contains(still.References, r => r.Type == reference.Type && r.From == reference.From && r.To.SequenceEqual(reference.To));
        }

        Assert.Equal(Box(original, "iprp"), Box(still, "iprp"));
        Assert.Equal(before[..(int)original.Ftyp.End], after[..(int)still.Ftyp.End]);
        var stillExif = still.ItemBytes(HeifExif.ItemOf(still)!.Value);
        Assert.False(exif is { } id && original.ItemBytes(id).AsSpan().SequenceEqual(stillExif), "the Exif item should carry the new identifier");
    }

    /// <summary>
    /// libheif (heif-info, heif-convert) reads the still exactly when it reads the photo — its version decides: 1.15
    /// refuses the iPhone 15's metadata link to its tone-map item — and decodes the same pixels; so does ImageMagick.
    /// </summary>
    internal static void AssertOpens(byte[] photo, byte[] still)
    {
        using var folder = new TempFolder();
        var (photoExit, _, photoErrors) = ExternalTools.Run("heif-info", folder.Write("photo.heic", photo));
        var (stillExit, _, stillErrors) = ExternalTools.Run("heif-info", folder.Write("still.heic", still));
        Assert.Equal((photoExit, photoErrors), (stillExit, stillErrors));
        var (photoDecoded, _, _) = ExternalTools.Run("heif-convert", folder["photo.heic"], folder["photo.png"]);
        var (stillDecoded, _, _) = ExternalTools.Run("heif-convert", folder["still.heic"], folder["still.png"]);
        Assert.Equal(photoDecoded, stillDecoded);
        if (stillDecoded == 0)
        {
            using var photoPng = new MagickImage(folder["photo.png"]);
            using var stillPng = new MagickImage(folder["still.png"]);
            Assert.Equal(0, photoPng.Compare(stillPng, ErrorMetric.Absolute));
        }

        using var a = new MagickImage(photo);
        using var b = new MagickImage(still);
        Assert.Equal((a.Width, a.Height), (b.Width, b.Height));
        Assert.Equal(0, a.Compare(b, ErrorMetric.Absolute));
    }

    private static byte[] Box(HeifFile file, string type)
    {
        var box = file.MetaChildren.Single(b => b.Type == type);
        return file.Data[(int)box.Start..(int)box.End];
    }

    /// <summary>exiftool -j -G -n of the EXIF group (IFD0, ExifIFD, GPS…), less the MakerNote it holds.</summary>
    private static Dictionary<string, string> ExifTags(string file)
    {
        var (_, output, _) = ExternalTools.Run("exiftool", "-j", "-G", "-n", "-EXIF:all", file);
        using var json = System.Text.Json.JsonDocument.Parse(output);
        return json.RootElement[0].EnumerateObject().Where(p => p.Name.StartsWith("EXIF:", StringComparison.Ordinal))
            .ToDictionary(p => p.Name, p => p.Value.GetRawText());
    }
}
