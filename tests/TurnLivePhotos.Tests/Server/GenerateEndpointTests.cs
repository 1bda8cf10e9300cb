using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ImageMagick;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Server;

/// <summary>The Python tool's POST /generate contract, over real HTTP on loopback.</summary>
public sealed class GenerateEndpointTests
{
    private static readonly byte[] Photo = TestPhotos.Scene(320, 200);

    [Fact]
    public async Task Only_the_file_field_gives_a_gif_with_the_configured_frames()
    {
        await using var server = await RunningServer.StartAsync();

        using var response = await server.GenerateAsync(Photo);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/gif", response.Content.Headers.ContentType?.MediaType);
        var gif = GifInfo.Read(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(server.Settings.Model.Parameters.Frames, gif.Frames);
        Assert.Equal("classic", response.Headers.GetValues("X-Engine").Single());
    }

    [Fact]
    public async Task The_python_tools_field_names_are_accepted()
    {
        await using var server = await RunningServer.StartAsync();

        using var response = await server.GenerateAsync(Photo, "photo.jpg",
            ("motion_bucket_id", "200"), ("noise_aug_strength", "0.1"), ("max_guidance_scale", "2.5"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Motion_bucket_alias_reaches_the_engine()
    {
        await using var server = await RunningServer.StartAsync();

        using var still = await server.GenerateAsync(Photo, "photo.jpg", ("motion_bucket", "0"));
        using var moving = await server.GenerateAsync(Photo, "photo.jpg", ("motion_bucket", "255"));

        Assert.Equal(HttpStatusCode.OK, still.StatusCode);
        Assert.Equal(0, FrameDifference(await still.Content.ReadAsByteArrayAsync()));
        Assert.True(FrameDifference(await moving.Content.ReadAsByteArrayAsync()) > 0.01);
    }

    [Fact]
    public async Task No_file_is_400_with_a_json_message()
    {
        await using var server = await RunningServer.StartAsync();
        using var form = new MultipartFormDataContent { { new StringContent("127"), "motion_bucket_id" } };

        using var response = await server.Client.PostAsync("generate", form);

        await AssertMessageAsync(response, HttpStatusCode.BadRequest, "file");
    }

    [Theory]
    [InlineData("motion_bucket_id", "abc")]
    [InlineData("motion_bucket_id", "256")]
    [InlineData("motion_bucket_id", "-1")]
    [InlineData("motion_bucket", "12.5")]
    [InlineData("noise_aug_strength", "1.5")]
    [InlineData("noise_aug_strength", "NaN")]
    [InlineData("max_guidance_scale", "0.5")]
    [InlineData("max_guidance_scale", "eleven")]
    public async Task A_bad_parameter_is_400_naming_it(string field, string value)
    {
        await using var server = await RunningServer.StartAsync();

        using var response = await server.GenerateAsync(Photo, "photo.jpg", (field, value));

        await AssertMessageAsync(response, HttpStatusCode.BadRequest, field);
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    public async Task Other_methods_are_405_with_a_json_message(string method)
    {
        await using var server = await RunningServer.StartAsync();

        using var response = await server.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), "generate"));

        await AssertMessageAsync(response, HttpStatusCode.MethodNotAllowed, "POST");
        Assert.Contains("POST", response.Content.Headers.Allow);
    }

    [Fact]
    public async Task A_text_file_named_photo_jpg_is_415()
    {
        await using var server = await RunningServer.StartAsync();

        using var response = await server.GenerateAsync("this is not a photo, just text\n"u8.ToArray(), "photo.jpg");

        await AssertMessageAsync(response, HttpStatusCode.UnsupportedMediaType, "not a supported image");
    }

    [Fact]
    public async Task A_jpeg_header_over_garbage_is_415()
    {
        await using var server = await RunningServer.StartAsync();
        var broken = Photo.Take(20).Concat(Enumerable.Repeat((byte)0x5A, 3000)).ToArray();

        using var response = await server.GenerateAsync(broken, "broken.jpg");

        await AssertMessageAsync(response, HttpStatusCode.UnsupportedMediaType, "JPEG");
    }

    [Fact]
    public async Task A_png_named_x_txt_is_200()
    {
        await using var server = await RunningServer.StartAsync();

        using var response = await server.GenerateAsync(TestPhotos.Scene(240, 160, MagickFormat.Png), "x.txt");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_photo_declaring_too_many_pixels_is_refused_before_decoding()
    {
        await using var server = await RunningServer.StartAsync();
        var bomb = TestPhotos.PngDeclaring(40_000, 40_000);
        Assert.True(bomb.Length < 200);

        using var response = await server.GenerateAsync(bomb, "bomb.png");

        await AssertMessageAsync(response, HttpStatusCode.RequestEntityTooLarge, "megapixels");
    }

    [Fact]
    public async Task Upload_names_never_become_paths()
    {
        await using var server = await RunningServer.StartAsync();

        using var response = await server.GenerateAsync(Photo, "../../evil.jpg");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var everything = Directory.EnumerateFiles(server.Root, "*", SearchOption.AllDirectories).Where(path => !Path.GetFileName(path).StartsWith("jobs.db", StringComparison.Ordinal)).ToList();
        var output = Assert.Single(everything);
        Assert.Equal(Path.Combine(server.OutputsHome, "jobs"), Path.GetDirectoryName(Path.GetDirectoryName(output)));
        Assert.Matches("^[0-9a-f]{32}$", Path.GetFileName(Path.GetDirectoryName(output)));
        // Only the name's last segment names the file (issue 25 item 5: named after the photo), inside the job's folder.
        Assert.Equal("evil.gif", Path.GetFileName(output));
    }

    [Fact]
    public async Task Engine_failure_is_500_with_a_generic_message()
    {
        await using var server = await RunningServer.StartAsync(classic: new FailingEngine(new InvalidOperationException("secret internal detail")));

        using var response = await server.GenerateAsync(Photo);

        var message = await AssertMessageAsync(response, HttpStatusCode.InternalServerError, "log");
        Assert.DoesNotContain("secret", message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(server.OutputsHome, "*.gif", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Engine_out_of_memory_is_503_with_retry_after()
    {
        await using var server = await RunningServer.StartAsync(classic: new FailingEngine(new OutOfMemoryException()));

        using var response = await server.GenerateAsync(Photo);

        await AssertMessageAsync(response, HttpStatusCode.ServiceUnavailable, "memory");
        Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero);
    }

    [Fact]
    public async Task The_server_keeps_serving_after_a_failed_job()
    {
        await using var server = await RunningServer.StartAsync();

        using var bad = await server.GenerateAsync("nope"u8.ToArray());
        using var good = await server.GenerateAsync(Photo);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, bad.StatusCode);
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
    }

    [Fact]
    public async Task The_page_has_the_drop_zone_and_the_python_tools_sliders()
    {
        await using var server = await RunningServer.StartAsync();

        var html = await server.Client.GetStringAsync("/");

        Assert.Contains("id=\"drop\"", html, StringComparison.Ordinal);
        Assert.Contains("name=\"motion_bucket_id\" type=\"range\" min=\"0\" max=\"255\" step=\"1\" value=\"127\"", html, StringComparison.Ordinal);
        Assert.Contains("name=\"noise_aug_strength\" type=\"range\" min=\"0\" max=\"1\" step=\"0.01\" value=\"0.02\"", html, StringComparison.Ordinal);
        Assert.Contains("name=\"max_guidance_scale\" type=\"range\" min=\"1\" max=\"10\" step=\"0.1\" value=\"3\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_engine_endpoint_says_plainly_that_classic_is_not_ai()
    {
        await using var server = await RunningServer.StartAsync();

        using var info = JsonDocument.Parse(await server.Client.GetStringAsync("api/v1/engine"));

        Assert.Equal("classic", info.RootElement.GetProperty("engine").GetString());
        Assert.False(info.RootElement.GetProperty("generative").GetBoolean());
        Assert.DoesNotContain(server.Root, info.RootElement.GetRawText(), StringComparison.Ordinal);
        Assert.Contains("Classic motion (not AI)", await server.Client.GetStringAsync("/"), StringComparison.Ordinal);
    }

    internal static async Task<string> AssertMessageAsync(HttpResponseMessage response, HttpStatusCode status, string expectedText)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var message = body.GetProperty("message").GetString();
        Assert.False(string.IsNullOrWhiteSpace(message));
        Assert.Contains(expectedText, message, StringComparison.OrdinalIgnoreCase);
        return message!;
    }

    private static double FrameDifference(byte[] gif)
    {
        using var frames = new MagickImageCollection(gif);
        frames.Coalesce();
        return frames[0].Compare(frames[frames.Count / 2], ErrorMetric.RootMeanSquared);
    }
}
