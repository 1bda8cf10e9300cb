using System.Net;
using System.Text;
using System.Text.Json;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Server;

/// <summary>
/// Malformed and hostile uploads, sent byte for byte over a bare socket to both upload paths: each gets its
/// documented 4xx in the path's own error shape (the Python tool's {"message"} on /generate, problem details on
/// /api/v1/jobs), never a 5xx, and the server keeps serving.
/// </summary>
public sealed class HostileInputTests
{
    private const string Boundary = "hostile-boundary";
    private static readonly byte[] Photo = TestPhotos.Scene(64, 48);

    public static TheoryData<string> Paths => new() { "/generate", "/api/v1/jobs" };

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task Malformed_multipart_bodies_are_400_in_the_paths_shape(string path)
    {
        await using var server = await StartAsync();
        var part = FilePart("p.jpg", Photo);
        var cases = new (string Name, string ContentType, byte[] Body)[]
        {
            ("missing boundary", "multipart/form-data", Concat(part, Closing())),
            ("boundary over 70 characters", "multipart/form-data; boundary=" + new string('b', 100), Concat(part, Closing())),
            ("boundary that never occurs", "multipart/form-data; boundary=other", Concat(part, Closing())),
            ("empty quoted boundary", "multipart/form-data; boundary=\"\"", Concat(part, Closing())),
            ("part header without ':'", Multipart, Concat(Ascii($"--{Boundary}\r\nContent-Disposition form-data; name=\"file\"\r\n\r\n"), Photo, Closing())),
            ("body cut off before its closing boundary", Multipart, part[..(part.Length / 2)]),
            ("no parts at all", Multipart, Closing()),
            ("two file parts", Multipart, Concat(part, FilePart("q.jpg", Photo), Closing())),
            ("not multipart", "application/json", Ascii("{\"file\": \"x\"}")),
            ("no content type", string.Empty, Concat(part, Closing())),
        };

        foreach (var (name, contentType, body) in cases)
        {
            var answer = await PostAsync(server, path, contentType, body);
            Assert.True(answer is not null, $"{name}: no answer");
            Assert.True(answer.Status == 400, $"{name}: {answer.Status} {answer.Body}");
            AssertShape(path, answer, name);
        }

        await AssertStillServingAsync(server);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task A_client_that_hangs_up_mid_body_gets_400_or_nothing_and_the_server_stays_up(string path)
    {
        await using var server = await StartAsync();
        var body = Concat(FilePart("p.jpg", Photo), Closing());

        var answer = await RawHttp.ExchangeAsync(server.BaseAddress, $"POST {path} HTTP/1.1\r\nContent-Type: {Multipart}\r\nContent-Length: {body.Length * 2}", body, closeSending: true);

        Assert.True(answer is null || answer.Status == 400, $"{answer?.Status} {answer?.Body}");
        await AssertStillServingAsync(server);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task Odd_file_names_are_never_used_so_they_are_accepted(string path)
    {
        await using var server = await StartAsync();

        foreach (var fileName in new[] { new string('n', 5000) + ".jpg", "a\0b.jpg", "../../\0.jpg" })
        {
            var answer = await PostAsync(server, path, Multipart, Concat(FilePart(fileName, Photo), Closing()));
            Assert.True(answer is not null, "no answer");
            Assert.True(answer.Status is 200 or 202, $"{fileName.Length} characters: {answer.Status} {answer.Body}");
        }

        var written = Directory.EnumerateFiles(server.Root, "*", SearchOption.AllDirectories);
        Assert.DoesNotContain(written, file => file.Contains("nnnn", StringComparison.Ordinal) || file.Contains('\0', StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("/generate", "motion_bucket_id", "abc")]
    [InlineData("/generate", "motion_bucket_id", "1e999")]
    [InlineData("/generate", "motion_bucket_id", "300")]
    [InlineData("/generate", "noise_aug_strength", "Infinity")]
    [InlineData("/generate", "noise_aug_strength", "-Infinity")]
    [InlineData("/generate", "noise_aug_strength", "NaN")]
    [InlineData("/generate", "max_guidance_scale", "0x10")]
    [InlineData("/generate", "max_guidance_scale", "11")]
    [InlineData("/api/v1/jobs", "frames", "lots")]
    [InlineData("/api/v1/jobs", "frames", "100000000000000000000")]
    [InlineData("/api/v1/jobs", "fps", "0")]
    [InlineData("/api/v1/jobs", "seed", "-1")]
    [InlineData("/api/v1/jobs", "seed", "1.5")]
    [InlineData("/api/v1/jobs", "noise_aug_strength", "∞")]
    [InlineData("/api/v1/jobs", "engine", "gpt")]
    [InlineData("/api/v1/jobs", "formats", "gif,exe")]
    [InlineData("/api/v1/jobs", "loop", "backwards")]
    public async Task Unusable_field_values_are_400_naming_the_field(string path, string field, string value)
    {
        await using var server = await StartAsync();
        var body = Concat(FilePart("p.jpg", Photo), Field(field, value), Closing());

        var answer = await PostAsync(server, path, Multipart, body);

        Assert.NotNull(answer);
        Assert.Equal(400, answer.Status);
        AssertShape(path, answer, field);
        Assert.Contains(field, answer.Body, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task A_body_that_trickles_in_is_408(string path)
    {
        await using var server = await StartAsync();
        var body = Concat(FilePart("p.jpg", Photo), Closing());
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(server.BaseAddress.Host, server.BaseAddress.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Ascii($"POST {path} HTTP/1.1\r\nHost: {server.BaseAddress.Authority}\r\nContent-Type: {Multipart}\r\nContent-Length: {body.Length}\r\n\r\n"));
        await stream.WriteAsync(body.AsMemory(0, 100));

        // Kestrel's minimum body rate (240 bytes/s after a 5 s grace) ends the upload; the answer then arrives unasked.
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var statusLine = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.StartsWith("HTTP/1.1 408", statusLine, StringComparison.Ordinal);
        await AssertStillServingAsync(server);
    }

    private static string Multipart => $"multipart/form-data; boundary={Boundary}";

    private static Task<RunningServer> StartAsync() => RunningServer.StartAsync(s => s with
    {
        Web = s.Web with { JobsPerMinute = 0, MaxQueuedJobs = 1000 },
        Model = s.Model with { Parameters = s.Model.Parameters with { Frames = 2 } },
        Output = s.Output with { Formats = [TurnLivePhotos.Media.Formats.OutputFormat.Gif] },
    });

    private static Task<RawHttp.Answer?> PostAsync(RunningServer server, string path, string contentType, byte[] body)
    {
        var head = new StringBuilder($"POST {path} HTTP/1.1\r\nContent-Length: {body.Length}");
        if (contentType.Length > 0)
        {
            head.Append($"\r\nContent-Type: {contentType}");
        }

        return RawHttp.ExchangeAsync(server.BaseAddress, head.ToString(), body);
    }

    private static void AssertShape(string path, RawHttp.Answer answer, string what)
    {
        using var json = JsonDocument.Parse(answer.Body);
        if (path == "/generate")
        {
            Assert.Contains("Content-Type: application/json", answer.Head, StringComparison.OrdinalIgnoreCase);
            Assert.False(string.IsNullOrWhiteSpace(json.RootElement.GetProperty("message").GetString()), what);
        }
        else
        {
            Assert.Contains("Content-Type: application/problem+json", answer.Head, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(answer.Status, json.RootElement.GetProperty("status").GetInt32());
            Assert.False(string.IsNullOrWhiteSpace(json.RootElement.GetProperty("detail").GetString()), what);
        }
    }

    private static async Task AssertStillServingAsync(RunningServer server)
    {
        using var response = await server.Client.PostAsync("generate", RunningServer.Form(Photo));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static byte[] FilePart(string fileName, byte[] content) =>
        Concat(Encoding.UTF8.GetBytes($"--{Boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{fileName}\"\r\nContent-Type: image/jpeg\r\n\r\n"), content, Ascii("\r\n"));

    private static byte[] Field(string name, string value) =>
        Encoding.UTF8.GetBytes($"--{Boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n");

    private static byte[] Closing() => Ascii($"--{Boundary}--\r\n");

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(part => part).ToArray();
}
