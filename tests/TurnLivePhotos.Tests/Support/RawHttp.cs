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

    /// <summary>
    /// Sends <paramref name="head"/> (request line and headers, without the blank line) and <paramref name="body"/>
    /// as they are, then optionally stops sending (a client that hangs up its side mid-body), and reads the answer.
    /// Null when the server closed the connection without answering.
    /// </summary>
    public static async Task<Answer?> ExchangeAsync(Uri server, string head, byte[] body, bool closeSending = false, TimeSpan? timeout = null)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port);
        var stream = client.GetStream();
        var response = ReadBytesAsync(stream);
        try
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes($"{head}\r\nHost: {server.Authority}\r\nConnection: close\r\n\r\n"));
            await stream.WriteAsync(body);
            if (closeSending)
            {
                client.Client.Shutdown(SocketShutdown.Send);
            }
        }
        catch (IOException)
        {
            // The server answered and closed while we were still sending.
        }

        var bytes = await response.WaitAsync(timeout ?? TimeSpan.FromSeconds(60));
        var split = bytes.AsSpan().IndexOf("\r\n\r\n"u8);
        if (split < 0)
        {
            return null;
        }

        var responseHead = Encoding.ASCII.GetString(bytes, 0, split);
        var status = int.Parse(responseHead.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture);
        var responseBody = bytes[(split + 4)..];
        if (responseHead.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            responseBody = Dechunk(responseBody);
        }

        return new Answer(status, responseHead, Encoding.UTF8.GetString(responseBody), body.Length);
    }

    /// <summary>The body of a chunked answer (size line in hex, data, CRLF; a zero size ends it).</summary>
    private static byte[] Dechunk(byte[] chunked)
    {
        using var body = new MemoryStream();
        var at = 0;
        while (at < chunked.Length)
        {
            var lineEnd = at + chunked.AsSpan(at).IndexOf("\r\n"u8);
            var size = Convert.ToInt32(Encoding.ASCII.GetString(chunked, at, lineEnd - at).Split(';')[0], 16);
            if (size == 0)
            {
                break;
            }

            body.Write(chunked, lineEnd + 2, size);
            at = lineEnd + 2 + size + 2;
        }

        return body.ToArray();
    }

    private static async Task<byte[]> ReadBytesAsync(NetworkStream stream)
    {
        using var buffer = new MemoryStream();
        try
        {
            await stream.CopyToAsync(buffer);
        }
        catch (IOException)
        {
            // A reset after the answer arrived still leaves the answer in the buffer.
        }

        return buffer.ToArray();
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
