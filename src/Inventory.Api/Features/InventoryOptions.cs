namespace Inventory.Api.Features;

/// <summary>Business defaults a shop may tune per environment.</summary>
public sealed class InventoryOptions
{
    public const string Section = "Inventory";

    /// <summary>The warehouse a new product's first row, and a request that names no warehouse for an admin write, use.</summary>
    public string DefaultWarehouseId { get; set; } = "main";

    public long DefaultThresholdLevel { get; set; } = 10;

    /// <summary>How long a cart hold lasts when the request does not say.</summary>
    public int DefaultReservationTtlSeconds { get; set; } = 900;

    public int MinReservationTtlSeconds { get; set; } = 5;

    public int MaxReservationTtlSeconds { get; set; } = 86_400;

    /// <summary>Largest quantity one hold or sale line may ask for.</summary>
    public long MaxQuantityPerLine { get; set; } = 100_000;

    public int MaxPageSize { get; set; } = 100;
}
