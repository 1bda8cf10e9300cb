using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace TurnLivePhotos.Commands;

/// <summary>Addresses another device on the network can open, for a server that listens on every interface.</summary>
public static class NetworkAddresses
{
    public static IReadOnlyList<Uri> Of(IEnumerable<string> listening)
    {
        ArgumentNullException.ThrowIfNull(listening);
        var addresses = new List<Uri>();
        foreach (var url in listening)
        {
            var uri = Listening(url);
            if (!EveryInterface(uri))
            {
                continue;
            }

            addresses.AddRange(LocalIPv4().Select(ip => new UriBuilder(uri) { Host = ip.ToString(), Path = "/" }.Uri));
        }

        return addresses;
    }

    /// <summary>A listening URL as the server reports it, its wildcard hosts (<c>+</c>, <c>*</c>) written as 0.0.0.0.</summary>
    public static Uri Listening(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return new Uri(url.Replace("://+", "://0.0.0.0", StringComparison.Ordinal).Replace("://*", "://0.0.0.0", StringComparison.Ordinal));
    }

    /// <summary>Whether a listening URL (<see cref="Listening"/>) stands for every interface.</summary>
    public static bool EveryInterface(Uri listening)
    {
        ArgumentNullException.ThrowIfNull(listening);
        return listening.Host is "0.0.0.0" or "[::]" or "::";
    }

    /// <summary>The IPv4 addresses of the interfaces that are up, loopback left out.</summary>
    private static IEnumerable<IPAddress> LocalIPv4() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(nic => nic.OperationalStatus == OperationalStatus.Up && nic.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(nic => nic.GetIPProperties().UnicastAddresses)
            .Select(unicast => unicast.Address)
            .Where(address => address.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(address))
            .Distinct();
}
