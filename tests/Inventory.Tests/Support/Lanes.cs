namespace Inventory.Tests.Support;

/// <summary>
/// Where a test runs. Unmarked tests are the README's <c>make test</c>; crowd, volume and crash tests (hundreds of
/// parallel requests, thousands of writes, a process killed mid-flight) carry <c>[Trait(Lanes.Name, Lanes.Load)]</c>
/// and run in <c>make test-load</c>, which CI runs too. Each kind keeps one small exactness case in <c>make test</c>.
/// </summary>
public static class Lanes
{
    public const string Name = "Lane";
    public const string Load = "Load";
}
