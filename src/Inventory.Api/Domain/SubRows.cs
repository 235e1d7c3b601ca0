namespace Inventory.Api.Domain;

/// <summary>
/// A hot product's row is spread over sub-rows, so that one item's partition (on AWS about 500 transactional holds a
/// second) stops being the limit. Sub-row 0 is the row itself; sub-row <c>k</c> is stored as a row of the product id
/// <c>"{product}#{k}"</c> in the same warehouse: a product id never contains '#', so the key cannot meet a real
/// product, and every write path keyed by product and warehouse (holds, their records, releases, expiry, sales, history)
/// works on a sub-row unchanged. Reads, statuses and alerts add the sub-rows up into the one row clients see.
/// </summary>
public static class SubRows
{
    public const char Separator = '#';

    /// <summary>The most sub-rows one row may be spread over (one transaction moves units between all of them).</summary>
    public const int Max = 16;

    /// <summary>The stored product key of sub-row <paramref name="index"/> of a product's row.</summary>
    public static string KeyOf(string productId, int index) =>
        index == 0 ? productId : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{productId}{Separator}{index}");

    /// <summary>The product a stored key belongs to (itself for a product id).</summary>
    public static string ProductOf(string key) => key.IndexOf(Separator) is var at and >= 0 ? key[..at] : key;

    /// <summary>Which sub-row a stored key is (0 for the row itself).</summary>
    public static int IndexOf(string key) =>
        key.IndexOf(Separator) is var at and >= 0 ? int.Parse(key.AsSpan(at + 1), System.Globalization.CultureInfo.InvariantCulture) : 0;

    /// <summary>Whether a stored key is a sub-row other than the row itself.</summary>
    public static bool IsSubRow(string key) => key.Contains(Separator, StringComparison.Ordinal);

    /// <summary>
    /// How a row's available units should sit over its <paramref name="count"/> sub-rows: as evenly as they go, the
    /// remainder on the first ones. What a rebalance moves towards.
    /// </summary>
    public static long[] EvenShares(long available, int count)
    {
        var shares = new long[count];
        for (var i = 0; i < count; i++)
        {
            shares[i] = (available / count) + (i < available % count ? 1 : 0);
        }

        return shares;
    }
}
