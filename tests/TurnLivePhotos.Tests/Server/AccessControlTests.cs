using System.Net;
using System.Net.Http.Headers;
using TurnLivePhotos.Tests.Support;

namespace TurnLivePhotos.Tests.Server;

public sealed class AccessControlTests
{
    private static readonly byte[] Photo = TestPhotos.Scene(96, 64);

    [Fact]
    public async Task With_an_access_token_the_api_answers_401_without_it_and_works_with_it()
    {
        await using var server = await RunningServer.StartAsync(s => s with { Web = s.Web with { AccessToken = "s3cret-token" } });

        using var anonymous = await server.Client.GetAsync("api/v1/jobs");
        using var anonymousGenerate = await server.GenerateAsync(Photo);
        using var wrong = new HttpRequestMessage(HttpMethod.Get, "api/v1/jobs") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", "guess") } };
        using var wrongAnswer = await server.Client.SendAsync(wrong);
        using var bearer = new HttpRequestMessage(HttpMethod.Get, "api/v1/jobs") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", "s3cret-token") } };
        using var bearerAnswer = await server.Client.SendAsync(bearer);
        using var cookie = new HttpRequestMessage(HttpMethod.Get, "api/v1/jobs");
        cookie.Headers.Add("Cookie", "tlp_token=s3cret-token");
        using var cookieAnswer = await server.Client.SendAsync(cookie);
        using var page = await server.Client.GetAsync("/");

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymousGenerate.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongAnswer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, bearerAnswer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, cookieAnswer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }

    [Fact]
    public async Task Job_creation_beyond_the_per_client_limit_is_429()
    {
        await using var server = await RunningServer.StartAsync(s => s with { Web = s.Web with { JobsPerMinute = 2 } });

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await server.Client.PostAsync("api/v1/jobs", RunningServer.Form(Photo, "p.jpg", ("formats", "gif"), ("frames", "2")));
            statuses.Add(response.StatusCode);
        }

        Assert.Equal([HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.TooManyRequests], statuses);
    }
}
