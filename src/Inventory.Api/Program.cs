using Inventory.Api;

var app = await InventoryApp.BuildAsync(args);
await InventoryApp.PrepareAsync(app);
await app.RunAsync();

/// <summary>Entry point; the composition lives in <see cref="InventoryApp"/>.</summary>
public partial class Program;
