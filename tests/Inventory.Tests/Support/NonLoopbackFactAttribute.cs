using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Inventory.Tests.Support;

/// <summary>A fact about what this machine's other addresses can reach; skipped, saying why, on a machine that has none.</summary>
public sealed class NonLoopbackFactAttribute : FactAttribute
{
    public NonLoopbackFactAttribute()
    {
        if (Addresses().Count == 0)
        {
            Skip = "This machine has no address but loopback, so nothing else on a network could reach it.";
        }
    }

    /// <summary>The addresses `hostname -I` lists: every up interface's, without loopback and IPv6 link-local ones.</summary>
    public static List<IPAddress> Addresses() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(i => i.OperationalStatus == OperationalStatus.Up)
            .SelectMany(i => i.GetIPProperties().UnicastAddresses.Select(a => a.Address))
            .Where(a => !IPAddress.IsLoopback(a) && !a.IsIPv6LinkLocal && a.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
            .ToList();
}
