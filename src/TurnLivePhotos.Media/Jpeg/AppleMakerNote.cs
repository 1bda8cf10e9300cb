using System.Buffers.Binary;
using System.Text;

namespace TurnLivePhotos.Media.Jpeg;

/// <summary>One entry of an Apple MakerNote as stored: tag, TIFF type, count and the value bytes (big-endian).</summary>
public sealed record AppleMakerNoteEntry(ushort Tag, ushort Type, uint Count, byte[] Value);

/// <summary>
/// The Apple MakerNote (Exif tag 0x927C of iPhone photos): "Apple iOS\0", a two-byte version, "MM", then one
/// big-endian IFD whose value offsets count from the note's first byte — the layout exiftool reads (MakerNotes.pm,
/// MakerNoteApple: directory start at +14, base at the note's start). Our own reader and writer: the .NET metadata
/// libraries read maker notes but none writes this one back. The note is read as one IFD (its next-IFD pointer and
/// sub-directories are not followed: Apple's plist-valued tags are self-contained), within fixed limits on size,
/// entry count and the value bytes all entries may copy together.
/// </summary>
public sealed class AppleMakerNote
{
    /// <summary>A larger note is refused (iPhone notes are a few kilobytes).</summary>
    public const int MaxBytes = 1 << 20;

    /// <summary>A note declaring more entries is refused (iPhones write a few dozen).</summary>
    public const int MaxEntries = 1024;

    public const ushort MakerNoteVersionTag = 0x0001;
    public const ushort ContentIdentifierTag = 0x0011;
    public const ushort LivePhotoVideoIndexTag = 0x0017;

    private const int IfdStart = 14;

    /// <summary>
    /// Bytes per value of each TIFF type (TIFF 6.0 types 1–12 and BigTIFF's LONG8/SLONG8 16–17, which iPhones use
    /// for LivePhotoVideoIndex); 0 for the types left out: none, IFD and IFD8 (sub-directories we do not follow).
    /// </summary>
    private static readonly int[] TypeSizes = [0, 1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8, 0, 0, 0, 8, 8, 0];

    private AppleMakerNote(byte[] version, List<AppleMakerNoteEntry> entries)
    {
        Version = version;
        Entries = entries;
    }

    /// <summary>The two bytes after the signature, kept as the phone wrote them.</summary>
    public IReadOnlyList<byte> Version { get; }

    /// <summary>The entries in ascending tag order.</summary>
    public IReadOnlyList<AppleMakerNoteEntry> Entries { get; private set; }

    /// <summary>The ContentIdentifier (0x0011) text, or null.</summary>
    public string? ContentIdentifier => Entries.FirstOrDefault(e => e.Tag == ContentIdentifierTag) is { Type: 2 } entry
        ? Encoding.ASCII.GetString(entry.Value).TrimEnd('\0')
        : null;

    /// <summary>Starts with the Apple signature and big-endian marker (what <see cref="Parse"/> needs to begin).</summary>
    public static bool IsApple(ReadOnlySpan<byte> note) =>
        note.Length >= IfdStart + 2 && note.StartsWith("Apple iOS\0"u8) && note[12] == 'M' && note[13] == 'M';

    /// <summary>A note with only MakerNoteVersion 1 and the identifier, for a photo that has no Apple note.</summary>
    public static AppleMakerNote Create(string contentIdentifier)
    {
        var note = new AppleMakerNote([0x00, 0x01], [new AppleMakerNoteEntry(MakerNoteVersionTag, 9, 1, [0, 0, 0, 1])]);
        return note.WithContentIdentifier(contentIdentifier);
    }

    /// <summary>
    /// Reads a note. Throws <see cref="FormatException"/> when it is not an Apple note, is over <see cref="MaxBytes"/>
    /// or declares more than <see cref="MaxEntries"/> entries; an entry whose value lies outside the note, has an
    /// unknown type, or would take the value bytes of all entries past the note's own length (overlapping values) is
    /// left out and named in <paramref name="notes"/>.
    /// </summary>
    public static AppleMakerNote Parse(byte[] note, ICollection<MetadataNote>? notes = null)
    {
        ArgumentNullException.ThrowIfNull(note);
        if (!IsApple(note))
        {
            throw new FormatException("not an Apple MakerNote (no \"Apple iOS\" big-endian header)");
        }

        if (note.Length > MaxBytes)
        {
            throw new FormatException($"the Apple MakerNote is {note.Length} bytes, over the {MaxBytes}-byte limit");
        }

        int count = BinaryPrimitives.ReadUInt16BigEndian(note.AsSpan(IfdStart));
        if (count > MaxEntries)
        {
            throw new FormatException($"the Apple MakerNote declares {count} entries, over the {MaxEntries}-entry limit");
        }

        var fits = Math.Min(count, (note.Length - IfdStart - 2) / 12);
        var entries = new List<AppleMakerNoteEntry>(fits);
        var budget = (long)note.Length;
        var dropped = count - fits;
        for (var i = 0; i < fits; i++)
        {
            var at = IfdStart + 2 + (12 * i);
            var tag = BinaryPrimitives.ReadUInt16BigEndian(note.AsSpan(at));
            var type = BinaryPrimitives.ReadUInt16BigEndian(note.AsSpan(at + 2));
            var n = BinaryPrimitives.ReadUInt32BigEndian(note.AsSpan(at + 4));
            var size = type < TypeSizes.Length && TypeSizes[type] > 0 ? (long)TypeSizes[type] * n : -1;
            long valueAt = size is >= 0 and <= 4 ? at + 8 : BinaryPrimitives.ReadUInt32BigEndian(note.AsSpan(at + 8));
            if (size < 0 || valueAt + size > note.Length || (size > 4 && (budget -= size) < 0) || entries.Exists(e => e.Tag == tag))
            {
                dropped++;
                continue;
            }

            entries.Add(new AppleMakerNoteEntry(tag, type, n, note[(int)valueAt..(int)(valueAt + size)]));
        }

        if (dropped > 0)
        {
            notes?.Add(new MetadataNote(MetadataPart.Exif, $"{dropped} of the Apple MakerNote's {count} entries were left out: past its end, of an unknown type, repeated or overlapping others"));
        }

        entries.Sort((a, b) => a.Tag.CompareTo(b.Tag));
        return new AppleMakerNote(note[10..12], entries);
    }

    /// <summary>The same note with ContentIdentifier set to <paramref name="contentIdentifier"/> and no LivePhotoVideoIndex (it pointed into the old movie).</summary>
    public AppleMakerNote WithContentIdentifier(string contentIdentifier)
    {
        ArgumentNullException.ThrowIfNull(contentIdentifier);
        var id = Encoding.ASCII.GetBytes(contentIdentifier + "\0");
        var entries = Entries.Where(e => e.Tag is not ContentIdentifierTag and not LivePhotoVideoIndexTag).ToList();
        entries.Add(new AppleMakerNoteEntry(ContentIdentifierTag, 2, (uint)id.Length, id));
        entries.Sort((a, b) => a.Tag.CompareTo(b.Tag));
        return new AppleMakerNote([.. Version], entries);
    }

    /// <summary>The same note without <paramref name="tags"/>.</summary>
    public AppleMakerNote Without(params ushort[] tags) =>
        new([.. Version], Entries.Where(e => !tags.Contains(e.Tag)).ToList());

    /// <summary>The note's bytes: header, the IFD (next-IFD pointer 0), then each value over 4 bytes at an even offset.</summary>
    public byte[] ToBytes()
    {
        var dataStart = IfdStart + 2 + (12 * Entries.Count) + 4;
        var length = (long)dataStart + Entries.Sum(e => e.Value.Length > 4 ? (long)e.Value.Length + (e.Value.Length % 2) : 0);
        var output = new byte[checked((int)length)];
        "Apple iOS\0"u8.CopyTo(output);
        output[10] = Version[0];
        output[11] = Version[1];
        output[12] = (byte)'M';
        output[13] = (byte)'M';
        BinaryPrimitives.WriteUInt16BigEndian(output.AsSpan(IfdStart), (ushort)Entries.Count);
        var data = dataStart;
        for (var i = 0; i < Entries.Count; i++)
        {
            var entry = Entries[i];
            var at = output.AsSpan(IfdStart + 2 + (12 * i), 12);
            BinaryPrimitives.WriteUInt16BigEndian(at, entry.Tag);
            BinaryPrimitives.WriteUInt16BigEndian(at[2..], entry.Type);
            BinaryPrimitives.WriteUInt32BigEndian(at[4..], entry.Count);
            if (entry.Value.Length <= 4)
            {
                entry.Value.CopyTo(at[8..]);
            }
            else
            {
                BinaryPrimitives.WriteUInt32BigEndian(at[8..], (uint)data);
                entry.Value.CopyTo(output, data);
                data += entry.Value.Length + (entry.Value.Length % 2);
            }
        }

        return output;
    }
}
