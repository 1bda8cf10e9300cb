using System.Net;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Server;

/// <summary>The bounded job queue and the request-size limit, against the running server.</summary>
public sealed class QueueAndLimitsTests
{
    private static readonly byte[] Photo = TestPhotos.Scene(200, 120);

    [Fact]
    public async Task A_full_queue_is_503_with_retry_after_and_queued_jobs_still_finish()
    {
        var engine = new GatedEngine();
        await using var server = await RunningServer.StartAsync(s => s with { Web = s.Web with { MaxQueuedJobs = 1 } }, engine);

        var running = server.GenerateAsync(Photo);
        await engine.WaitUntilStartedAsync(1);
        var queued = server.GenerateAsync(Photo);
        await WaitForAsync(() => server.Jobs.QueuedCount == 1);

        using var refused = await server.GenerateAsync(Photo);

        await GenerateEndpointTests.AssertMessageAsync(refused, HttpStatusCode.ServiceUnavailable, "queue");
        Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        engine.Open();
        using var first = await running;
        using var second = await queued;
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(2, engine.Started);
    }

    [Fact]
    public async Task A_queued_job_whose_client_leaves_is_dropped()
    {
        var engine = new GatedEngine();
        await using var server = await RunningServer.StartAsync(configure: null, classic: engine);

        var running = server.GenerateAsync(Photo);
        await engine.WaitUntilStartedAsync(1);
        using var leaving = new CancellationTokenSource();
        var abandoned = server.Client.PostAsync("generate", RunningServer.Form(Photo), leaving.Token);
        await WaitForAsync(() => server.Jobs.QueuedCount == 1);

        await leaving.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        await WaitForAsync(() => server.Jobs.QueuedCount == 0);
        engine.Open();
        using var first = await running;

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using var after = await server.GenerateAsync(Photo);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal(2, engine.Started); // the first job and the one after; never the abandoned one
        Assert.Equal(2, Directory.GetFiles(server.OutputsHome, "*.gif", SearchOption.AllDirectories).Length);
    }

    [Theory]
    [InlineData(false)] // Content-Length announces the size: refused from the header
    [InlineData(true)]  // chunked: refused once the limit is crossed while streaming
    public async Task A_body_over_the_limit_is_413_before_the_server_reads_it_all(bool chunked)
    {
        await using var server = await RunningServer.StartAsync(s => s with { Web = s.Web with { MaxContentLength = 64 * 1024 } });

        var answer = await RawHttp.PostStreamingAsync(server.BaseAddress, "/generate", totalBytes: 64L * 1024 * 1024, chunked);

        Assert.Equal(413, answer.Status);
        Assert.Contains("\"message\"", answer.Body, StringComparison.Ordinal);
        Assert.True(answer.BytesSent < 8L * 1024 * 1024, $"the client got {answer.BytesSent} bytes out before the answer");
    }

    [Fact]
    public async Task A_client_asking_100_continue_sends_no_body_when_too_large()
    {
        await using var server = await RunningServer.StartAsync(s => s with { Web = s.Web with { MaxContentLength = 64 * 1024 } });
        var big = new byte[1024 * 1024];
        using var request = new HttpRequestMessage(HttpMethod.Post, "generate") { Content = RunningServer.Form(big) };
        request.Headers.ExpectContinue = true;

        using var response = await server.Client.SendAsync(request);

        await GenerateEndpointTests.AssertMessageAsync(response, HttpStatusCode.RequestEntityTooLarge, "limit");
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var waited = 0; !condition(); waited += 10)
        {
            Assert.True(waited < 20_000, "timed out waiting for the server");
            await Task.Delay(10);
        }
    }
}
