using QRCoder;

namespace TurnLivePhotos.Commands;

/// <summary>
/// A link as a QR code drawn with text, for a phone's camera to open from the terminal: QRCoder's small rendering, two
/// modules per character row with the half blocks ▀ ▄ █, and the four-module quiet zone ISO/IEC 18004 asks for.
/// Light modules are the drawn ones (as qrencode's UTF8 output does), so the code reads right on a dark background;
/// on a terminal the lines are also given light-on-black colours, so a light theme shows it the right way round too.
/// </summary>
public static class TerminalQrCode
{
    /// <summary>Medium error correction: a link of about 60 characters stays at version 4 (41 characters wide with its quiet zone).</summary>
    public const QRCodeGenerator.ECCLevel Correction = QRCodeGenerator.ECCLevel.M;

    private const string LightOnBlack = "\u001b[97;40m";
    private const string Reset = "\u001b[0m";

    /// <summary>The code's lines, quiet zone included, without colours (what logs and redirected output get).</summary>
    public static IReadOnlyList<string> Lines(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        using var data = QRCodeGenerator.GenerateQrCode(text, Correction);
        using var code = new AsciiQRCode(data);
        return code.GetGraphicSmall(drawQuietZones: true, invert: false, endOfLine: "\n").Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary><see cref="Lines"/>, each wrapped in light-on-black colours when <paramref name="colours"/> (output is a terminal).</summary>
    public static IEnumerable<string> Lines(string text, bool colours) =>
        colours ? Lines(text).Select(line => LightOnBlack + line + Reset) : Lines(text);
}
