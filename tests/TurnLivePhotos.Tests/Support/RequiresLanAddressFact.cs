namespace TurnLivePhotos.Tests.Support;

/// <summary>
/// A fact about what serve prints for another device on the network: skipped with the reason on a machine whose only
/// interface is loopback (a container run with no network), where there is no such address to print.
/// </summary>
public sealed class RequiresLanAddressFactAttribute : FactAttribute
{
    public RequiresLanAddressFactAttribute()
    {
        if (TurnLivePhotos.Commands.NetworkAddresses.Of(["http://0.0.0.0:1"]).Count == 0)
        {
            Skip = "needs a network interface besides loopback (an IPv4 address another device could open)";
        }
    }
}
