using System.Net.Sockets;
using System.Text;

namespace TurnLivePhotos.Tests.Support;

/// <summary>
/// An HTTP/1.1 client on a bare socket, for what HttpClient hides: it keeps streaming a huge body while it listens
/// for an early answer, and counts how many body bytes it got out before the server answered.
/// </summary>
public static class RawHttp
{
    public sealed record Answer(int Status, string Head, string Body, long BytesSent);

    public static async Task<Answer> PostStreamingAsync(Uri server, string path, long totalBytes, bool chunked)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port);
        var stream = client.GetStream();
        const string boundary = "raw-boundary";
        var head = new StringBuilder()
            .Append($"POST {path} HTTP/1.1\r\nHost: {server.Authority}\r\nConnection: close\r\n")
            .Append($"Content-Type: multipart/form-data; boundary={boundary}\r\n")
            .Append(chunked ? "Transfer-Encoding: chunked\r\n" : $"Content-Length: {totalBytes}\r\n")
            .Append("\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()));

        var response = ReadToEndAsync(stream);
        var piece = new byte[64 * 1024];
        Encoding.ASCII.GetBytes($"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.jpg\"\r\n\r\n").CopyTo(piece, 0);
        long sent = 0;
        try
        {
            while (sent < totalBytes && !response.IsCompleted)
            {
                var size = (int)Math.Min(piece.Length, totalBytes - sent);
                if (chunked)
                {
                    await stream.WriteAsync(Encoding.ASCII.GetBytes($"{size:X}\r\n"));
                }

                await stream.WriteAsync(piece.AsMemory(0, size));
                if (chunked)
                {
                    await stream.WriteAsync("\r\n"u8.ToArray());
                }

                sent += size;
            }
        }
        catch (IOException)
        {
            // The server answered and closed the connection while we were still sending.
        }

        var text = await response.WaitAsync(TimeSpan.FromSeconds(30));
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(split > 0, "no HTTP answer: " + text);
        var status = int.Parse(text.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture);
        return new Answer(status, text[..split], text[(split + 4)..], sent);
    }

    private static async Task<string> ReadToEndAsync(NetworkStream stream)
    {
        using var buffer = new MemoryStream();
        var block = new byte[8192];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(block)) > 0)
            {
                buffer.Write(block, 0, read);
            }
        }
        catch (IOException)
        {
            // A reset after the answer arrived still leaves the answer in the buffer.
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
