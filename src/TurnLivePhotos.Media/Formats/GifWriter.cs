using ImageMagick;
using TurnLivePhotos.Media.Imaging;

namespace TurnLivePhotos.Media.Formats;

/// <summary>
/// Animated GIF: loops forever, one shared 256-colour palette (no flicker between frames), ordered dithering (a
/// stable pattern that does not crawl from frame to frame, unlike error diffusion), frame timing that keeps the
/// configured rate. The palette comes from the first frame (every frame shows the same photo); frames are mapped and
/// LZW-compressed in parallel by our own encoder.
/// </summary>
public static class GifWriter
{
    public const int TicksPerSecond = 100;

    private const int PaletteSize = 256;
    private const int LutBits = 5;

    // 8×8 Bayer matrix, values 0–63.
    private static readonly int[] Bayer =
    [
        0, 32, 8, 40, 2, 34, 10, 42, 48, 16, 56, 24, 50, 18, 58, 26, 12, 44, 4, 36, 14, 46, 6, 38, 60, 28, 52, 20, 62, 30, 54, 22,
        3, 35, 11, 43, 1, 33, 9, 41, 51, 19, 59, 27, 49, 17, 57, 25, 15, 47, 7, 39, 13, 45, 5, 37, 63, 31, 55, 23, 61, 29, 53, 21,
    ];

    /// <summary>
    /// GIF delays are whole hundredths of a second, so 7 fps cannot be 14.2857 cs a frame. Each frame gets the
    /// difference between rounded frame start times, so the delays alternate (14, 14, 15, …) and the clip
    /// lasts exactly frames / fps seconds, rounded once.
    /// </summary>
    public static int[] FrameDelays(int frameCount, double fps)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(frameCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fps);
        var delays = new int[frameCount];
        for (var i = 0; i < frameCount; i++)
        {
            var start = (int)Math.Round(i * TicksPerSecond / fps, MidpointRounding.AwayFromZero);
            var end = (int)Math.Round((i + 1) * TicksPerSecond / fps, MidpointRounding.AwayFromZero);
            delays[i] = Math.Max(1, end - start);
        }

        return delays;
    }

    public static void Write(IReadOnlyList<RgbImage> frames, double fps, string path) => AtomicFile.WriteAllBytes(path, Encode(frames, fps));

    public static byte[] Encode(IReadOnlyList<RgbImage> frames, double fps)
    {
        ArgumentNullException.ThrowIfNull(frames);
        if (frames.Count == 0)
        {
            throw new ArgumentException("a GIF needs at least one frame", nameof(frames));
        }

        var width = frames[0].Width;
        var height = frames[0].Height;
        var palette = BuildPalette(frames[0]);
        var lookup = BuildLookup(palette);
        var delays = FrameDelays(frames.Count, fps);
        var encoded = new byte[frames.Count][];
        Parallel.For(0, frames.Count, i => encoded[i] = Lzw.Encode(Map(frames[i], palette, lookup), 8));

        using var output = new MemoryStream();
        output.Write("GIF89a"u8);
        WriteUInt16(output, width);
        WriteUInt16(output, height);
        output.Write([0xF7, 0, 0]); // global colour table of 256 entries, 8 bits per primary
        output.Write(palette);
        output.Write([0x21, 0xFF, 0x0B]);
        output.Write("NETSCAPE2.0"u8);
        output.Write([0x03, 0x01, 0x00, 0x00, 0x00]); // loop forever
        for (var i = 0; i < frames.Count; i++)
        {
            output.Write([0x21, 0xF9, 0x04, 0x04]); // graphic control: disposal "do not dispose", no transparency
            WriteUInt16(output, delays[i]);
            output.Write([0x00, 0x00]);
            output.WriteByte(0x2C);
            WriteUInt16(output, 0);
            WriteUInt16(output, 0);
            WriteUInt16(output, width);
            WriteUInt16(output, height);
            output.WriteByte(0x00);
            output.WriteByte(8);
            output.Write(encoded[i]);
        }

        output.WriteByte(0x3B);
        return output.ToArray();
    }

    /// <summary>256 colours for the clip, chosen by the image library's quantizer from a small copy of the first frame.</summary>
    private static byte[] BuildPalette(RgbImage frame)
    {
        using var image = MagickInterop.ToMagick(frame);
        var scale = Math.Min(1.0, 320.0 / Math.Max(frame.Width, frame.Height));
        image.Resize(new MagickGeometry((uint)Math.Max(1, frame.Width * scale), (uint)Math.Max(1, frame.Height * scale)) { IgnoreAspectRatio = true });
        image.Quantize(new QuantizeSettings { Colors = PaletteSize, DitherMethod = DitherMethod.No });
        using var unique = image.UniqueColors();
        var colors = unique.GetPixelsUnsafe().ToByteArray(PixelMapping.RGB) ?? [];
        var palette = new byte[PaletteSize * 3];
        colors.AsSpan(0, Math.Min(colors.Length, palette.Length)).CopyTo(palette);
        return palette;
    }

    /// <summary>Nearest palette entry for every 5-bit-per-channel colour (perceptually weighted distance).</summary>
    private static byte[] BuildLookup(byte[] palette)
    {
        const int levels = 1 << LutBits;
        var lookup = new byte[levels * levels * levels];
        Parallel.For(0, levels, r =>
        {
            for (var g = 0; g < levels; g++)
            {
                for (var b = 0; b < levels; b++)
                {
                    int red = (r << 3) + 4, green = (g << 3) + 4, blue = (b << 3) + 4;
                    var best = 0;
                    var bestDistance = int.MaxValue;
                    for (var k = 0; k < PaletteSize; k++)
                    {
                        int dr = red - palette[3 * k], dg = green - palette[(3 * k) + 1], db = blue - palette[(3 * k) + 2];
                        var distance = (3 * dr * dr) + (4 * dg * dg) + (2 * db * db);
                        if (distance < bestDistance)
                        {
                            bestDistance = distance;
                            best = k;
                        }
                    }

                    lookup[(r << (2 * LutBits)) | (g << LutBits) | b] = (byte)best;
                }
            }
        });
        return lookup;
    }

    private static byte[] Map(RgbImage frame, byte[] palette, byte[] lookup)
    {
        var pixels = frame.Pixels;
        var indices = new byte[frame.Width * frame.Height];
        for (var y = 0; y < frame.Height; y++)
        {
            var row = y * frame.Width;
            for (var x = 0; x < frame.Width; x++)
            {
                // Spread the 5-bit lookup's step (8 levels) with the Bayer threshold, so gradients dither instead of banding.
                var offset = (Bayer[((y & 7) << 3) | (x & 7)] >> 3) - 4;
                var i = 3 * (row + x);
                var r = Math.Clamp(pixels[i] + offset, 0, 255) >> 3;
                var g = Math.Clamp(pixels[i + 1] + offset, 0, 255) >> 3;
                var b = Math.Clamp(pixels[i + 2] + offset, 0, 255) >> 3;
                indices[row + x] = lookup[(r << (2 * LutBits)) | (g << LutBits) | b];
            }
        }

        return indices;
    }

    private static void WriteUInt16(Stream stream, int value)
    {
        stream.WriteByte((byte)value);
        stream.WriteByte((byte)(value >> 8));
    }

    /// <summary>
    /// GIF's variable-length-code LZW, output packed LSB-first into sub-blocks of at most 255 bytes. The string table
    /// is an open-addressing hash of (prefix code, next index) → code with 8192 slots (never more than half full, as
    /// codes stop at 4095), cleared in place on each reset: a Dictionary cost about half of a GIF's CPU time.
    /// </summary>
    private static class Lzw
    {
        private const int MaxCode = 4095;
        private const int Slots = 8192;

        public static byte[] Encode(byte[] indices, int minimumCodeSize)
        {
            var clear = 1 << minimumCodeSize;
            var end = clear + 1;
            var writer = new BitWriter(indices.Length);
            var keys = new int[Slots];
            var codes = new short[Slots];
            keys.AsSpan().Fill(-1);
            var codeSize = minimumCodeSize + 1;
            var next = end + 1;
            writer.Write(clear, codeSize);
            var prefix = indices.Length > 0 ? indices[0] : 0;
            for (var i = 1; i < indices.Length; i++)
            {
                var key = (prefix << 8) | indices[i];
                var slot = (int)(((uint)key * 2654435761u) >> 19); // Fibonacci hashing onto 13 bits
                while (keys[slot] != -1 && keys[slot] != key)
                {
                    slot = (slot + 1) & (Slots - 1);
                }

                if (keys[slot] == key)
                {
                    prefix = codes[slot];
                    continue;
                }

                writer.Write(prefix, codeSize);
                if (next <= MaxCode)
                {
                    keys[slot] = key;
                    codes[slot] = (short)next++;
                    if (next > (1 << codeSize) && codeSize < 12)
                    {
                        codeSize++;
                    }
                }
                else
                {
                    writer.Write(clear, codeSize);
                    keys.AsSpan().Fill(-1);
                    codeSize = minimumCodeSize + 1;
                    next = end + 1;
                }

                prefix = indices[i];
            }

            writer.Write(prefix, codeSize);
            writer.Write(end, codeSize);
            return writer.ToSubBlocks();
        }
    }

    private sealed class BitWriter(int expectedCodes)
    {
        private byte[] bytes = new byte[Math.Max(16, expectedCodes)];
        private int count;
        private int buffer;
        private int bits;

        public void Write(int code, int size)
        {
            buffer |= code << bits;
            bits += size;
            while (bits >= 8)
            {
                if (count == bytes.Length)
                {
                    Array.Resize(ref bytes, bytes.Length * 2);
                }

                bytes[count++] = (byte)buffer;
                buffer >>= 8;
                bits -= 8;
            }
        }

        public byte[] ToSubBlocks()
        {
            if (bits > 0)
            {
                Write(0, 8 - bits);
            }

            var output = new byte[count + ((count + 254) / 255) + 1];
            var at = 0;
            for (var i = 0; i < count; i += 255)
            {
                var length = Math.Min(255, count - i);
                output[at++] = (byte)length;
                bytes.AsSpan(i, length).CopyTo(output.AsSpan(at));
                at += length;
            }

            output[at] = 0;
            return output;
        }
    }
}
