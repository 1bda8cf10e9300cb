using System.Net.Http;
using System.Net.Sockets;

namespace TurnLivePhotos.Hub;

/// <summary>
/// A hub that could not be reached at all, as opposed to one that answered badly: its name did not resolve, or no
/// connection could be made (refused, no route). .NET says which through <see cref="HttpRequestException.HttpRequestError"/>
/// (NameResolutionError, ConnectionError). The way on is usually a mirror, so the message names the settings that choose one.
/// </summary>
public static class HubUnreachable
{
    /// <summary>A mirror many users behind a blocked huggingface.co use; it serves the hub's API and files under the same paths.</summary>
    public const string ExampleMirror = "https://hf-mirror.com";

    /// <summary>The failed connection in <paramref name="exception"/> or its inner exceptions; null when the hub was reached.</summary>
    public static HttpRequestException? Find(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError } failure)
            {
                return failure;
            }
        }

        return null;
    }

    /// <summary>
    /// True for a failure that a retry a few seconds later will not mend: the name does not resolve or the network has
    /// no route (the machine is offline). Refused and reset connections stay retried (a hub restarting behind its proxy).
    /// </summary>
    public static bool IsOffline(Exception? exception) =>
        exception is HttpRequestException failure && Find(failure) is { } unreachable
        && (unreachable.HttpRequestError == HttpRequestError.NameResolutionError
            || SocketErrorOf(unreachable) is System.Net.Sockets.SocketError.NetworkUnreachable or System.Net.Sockets.SocketError.NetworkDown or System.Net.Sockets.SocketError.HostUnreachable);

    /// <summary>
    /// One line for an unreachable hub: which hub, the system's reason (with the host and port it tried), and the
    /// settings that point at a mirror: HF_ENDPOINT, or <paramref name="modelRepositoryUrl"/> (the configured
    /// [InstallationOptions] ModelRepositoryUrl) on the mirror's host. <paramref name="endpointFromVariable"/>: the hub came from HF_ENDPOINT.
    /// </summary>
    public static string Describe(HttpRequestException failure, HubRepository repository, string modelRepositoryUrl, bool endpointFromVariable)
    {
        ArgumentNullException.ThrowIfNull(failure);
        ArgumentNullException.ThrowIfNull(repository);
        var onMirror = Uri.TryCreate(modelRepositoryUrl?.Trim(), UriKind.Absolute, out var configured)
            ? new Uri(new Uri(ExampleMirror + "/"), configured.AbsolutePath.TrimStart('/')).ToString()
            : ExampleMirror + "/ORG/NAME";
        var why = failure.HttpRequestError == HttpRequestError.NameResolutionError ? "its name does not resolve" : "no connection could be made";
        var reason = failure.Message.ReplaceLineEndings(" ");
        var hub = repository.Endpoint.GetLeftPart(UriPartial.Authority);
        var mirror = endpointFromVariable
            ? $"{HubRepository.EndpointVariable} is set to {hub}: correct or unset it, or name a mirror such as {HubRepository.EndpointVariable}={ExampleMirror}"
            : $"to use a mirror, set {HubRepository.EndpointVariable}={ExampleMirror} (or another mirror) or [InstallationOptions] ModelRepositoryUrl={onMirror}";
        return $"offline or unreachable: the hub {hub} could not be reached, {why} ({reason}); {mirror}";
    }

    private static SocketError? SocketErrorOf(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is SocketException socket)
            {
                return socket.SocketErrorCode;
            }
        }

        return null;
    }
}
