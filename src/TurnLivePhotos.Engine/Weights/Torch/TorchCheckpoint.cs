using System.IO.Compression;
using System.Text;

namespace TurnLivePhotos.Engine.Weights.Torch;

/// <summary>
/// A state dict saved by <c>torch.save</c> in PyTorch's zip format (the default since 1.6): one folder holding
/// <c>data.pkl</c> (the pickled dict of tensors), <c>data/KEY</c> (one file per storage, raw elements),
/// <c>version</c> and, since 2.1, <c>byteorder</c>. The pickle is read by <see cref="StateDictUnpickler"/>, which
/// runs nothing from the file. Storages are read whole into memory: the checkpoints read this way are small (the
/// large networks come as safetensors).
/// </summary>
public sealed class TorchCheckpoint
{
    private TorchCheckpoint(string path, IReadOnlyList<TorchTensor> tensors)
    {
        Path = path;
        Tensors = tensors;
        ByName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    public string Path { get; }

    /// <summary>The tensors in the file's order.</summary>
    public IReadOnlyList<TorchTensor> Tensors { get; }

    public IReadOnlyDictionary<string, TorchTensor> ByName { get; }

    /// <exception cref="WeightFileException">The file is not a readable state dict, or it breaks a limit; the message names the file.</exception>
    public static TorchCheckpoint Open(string path, TorchCheckpointLimits? limits = null)
    {
        using var stream = File.Exists(path) ? File.OpenRead(path) : throw new WeightFileException($"{path}: file not found");
        return Read(stream, path, limits);
    }

    public static TorchCheckpoint Read(Stream stream, string path, TorchCheckpointLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        limits ??= new TorchCheckpointLimits();
        try
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            return new TorchCheckpoint(path, ReadArchive(zip, limits));
        }
        catch (InvalidDataException ex)
        {
            throw new WeightFileException($"{path}: not a PyTorch zip checkpoint ({ex.Message})", ex);
        }
        catch (EndOfStreamException ex)
        {
            throw new WeightFileException($"{path}: an entry is shorter than its header declares", ex);
        }
        catch (WeightFileException ex)
        {
            throw new WeightFileException($"{path}: {ex.Message}", ex);
        }
    }

    private static IReadOnlyList<TorchTensor> ReadArchive(ZipArchive zip, TorchCheckpointLimits limits)
    {
        var pickles = zip.Entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1).ToList();
        if (pickles.Count != 1)
        {
            throw new WeightFileException(pickles.Count == 0
                ? "no <folder>/data.pkl: not a torch.save zip archive (a legacy pre-1.6 checkpoint is not supported)"
                : "more than one data.pkl");
        }

        var prefix = pickles[0].FullName[..^"data.pkl".Length];
        var entries = zip.Entries.ToDictionary(e => e.FullName, StringComparer.Ordinal);
        var bigEndian = false;
        if (entries.TryGetValue(prefix + "byteorder", out var byteOrder))
        {
            bigEndian = Encoding.ASCII.GetString(ReadEntry(byteOrder, 16)).Trim() switch
            {
                "little" => false,
                "big" => true,
                var other => throw new WeightFileException($"byteorder '{other}' is neither little nor big"),
            };
        }

        if (entries.TryGetValue(prefix + "version", out var versionEntry)
            && (!int.TryParse(Encoding.ASCII.GetString(ReadEntry(versionEntry, 16)).Trim(), out var version) || version is < 1 or > 3))
        {
            throw new WeightFileException("the archive's version is not one PyTorch writes (1 to 3)");
        }

        var storages = new Dictionary<string, TorchStorage>(StringComparer.Ordinal);
        long storageBytes = 0;
        TorchStorage Load(string key, TorchDType type, long count)
        {
            if (storages.TryGetValue(key, out var known))
            {
                return known.Type == type && known.ElementCount == count
                    ? known
                    : throw new WeightFileException($"storage '{key}' is named as {known.Type}×{known.ElementCount} and as {type}×{count}");
            }

            if (key.Length is 0 or > 32 || !key.All(char.IsAsciiLetterOrDigit))
            {
                throw new WeightFileException($"storage key '{key}' is not a plain name");
            }

            var size = TorchStorage.ElementSize(type);
            if (count < 0 || count > (limits.MaxStorageBytes - storageBytes) / size)
            {
                throw new WeightFileException($"storage '{key}' of {count} elements is beyond the {limits.MaxStorageBytes}-byte limit for all storages");
            }

            var entry = entries.GetValueOrDefault(prefix + "data/" + key) ?? throw new WeightFileException($"storage '{key}' has no entry data/{key}");
            if (entry.Length != count * size)
            {
                throw new WeightFileException($"storage '{key}' should hold {count * size} bytes; its entry holds {entry.Length}");
            }

            var bytes = ReadEntry(entry, count * size);
            if (bigEndian)
            {
                TorchTensor.SwapBytes(bytes, size);
            }

            storageBytes += bytes.Length;
            var storage = new TorchStorage(key, type, count, bytes);
            storages[key] = storage;
            return storage;
        }

        var pickle = ReadEntry(pickles[0], limits.MaxPickleBytes);
        return new StateDictUnpickler(pickle, limits, Load).Read();
    }

    /// <summary>An entry's bytes, refusing one whose declared or actual (decompressed) size passes <paramref name="limit"/>.</summary>
    private static byte[] ReadEntry(ZipArchiveEntry entry, long limit)
    {
        if (entry.Length > limit || entry.Length > Array.MaxLength)
        {
            throw new WeightFileException($"{entry.FullName} is {entry.Length} bytes, more than the {limit} allowed");
        }

        var bytes = new byte[entry.Length];
        using var stream = entry.Open();
        stream.ReadExactly(bytes);
        Span<byte> probe = stackalloc byte[1];
        if (stream.Read(probe) != 0)
        {
            throw new WeightFileException($"{entry.FullName} holds more bytes than its header declares");
        }

        return bytes;
    }
}
