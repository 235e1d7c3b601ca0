using System.Text.Json.Serialization;
using Inventory.Api.Domain;
using Inventory.Api.Features.Events;
using Inventory.Api.Features.Fulfilment;
using Inventory.Api.Features.Health;
using Inventory.Api.Features.History;
using Inventory.Api.Features.HotProducts;
using Inventory.Api.Features.Imports;
using Inventory.Api.Features.Inventory;
using Inventory.Api.Features.Keys;
using Inventory.Api.Features.Products;
using Inventory.Api.Features.Reservations;
using Inventory.Api.Features.Shipments;
using Inventory.Api.Security;
using Inventory.Api.Projections;
using Inventory.Api.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Inventory.Api.Infrastructure;

/// <summary>
/// Every type the service reads or writes as JSON, with its serializer generated at build time: no reflection at
/// run time, so the service starts fast and publishes as Native AOT. It is the only resolver (no reflection
/// fallback), so a type missing here fails in the tests, not only in the AOT build.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DictionaryKeyPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    UseStringEnumConverter = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    NumberHandling = JsonNumberHandling.Strict)]
// Requests
[JsonSerializable(typeof(ReserveRequest))]
[JsonSerializable(typeof(OrderReserveRequest))]
[JsonSerializable(typeof(ExtendRequest))]
[JsonSerializable(typeof(FulfilRequest))]
[JsonSerializable(typeof(SetInventoryRequest))]
[JsonSerializable(typeof(AdjustInventoryRequest))]
[JsonSerializable(typeof(CheckRequest))]
[JsonSerializable(typeof(CreateProductRequest))]
[JsonSerializable(typeof(SetLeadTimeRequest))]
[JsonSerializable(typeof(CreateApiKeyRequest))]
[JsonSerializable(typeof(TransferRequest))]
[JsonSerializable(typeof(CreateShipmentRequest))]
[JsonSerializable(typeof(ReceiptRequest))]
[JsonSerializable(typeof(ImportLinesRequest))]
// Answers
[JsonSerializable(typeof(InventoryView))]
[JsonSerializable(typeof(InventoryRowView))]
[JsonSerializable(typeof(AdjustmentResponse))]
[JsonSerializable(typeof(CheckResponse))]
[JsonSerializable(typeof(ReservationView))]
[JsonSerializable(typeof(OrderReservationView))]
[JsonSerializable(typeof(FulfilmentView))]
[JsonSerializable(typeof(ProductView))]
[JsonSerializable(typeof(PageView<InventoryRowView>))]
[JsonSerializable(typeof(PageView<ProductView>))]
[JsonSerializable(typeof(PageView<ReservationView>))]
[JsonSerializable(typeof(PageView<StockAlert>))]
[JsonSerializable(typeof(PageView<HistoryEntryView>))]
[JsonSerializable(typeof(HotRowView))]
[JsonSerializable(typeof(MarkHotRequest))]
[JsonSerializable(typeof(StockAlert))]
[JsonSerializable(typeof(PageView<CoverView>))]
[JsonSerializable(typeof(ThresholdCheckResult))]
[JsonSerializable(typeof(InvariantReport))]
[JsonSerializable(typeof(HealthView))]
[JsonSerializable(typeof(ApiKeyView))]
[JsonSerializable(typeof(ApiKeyListView))]
[JsonSerializable(typeof(CreatedApiKeyView))]
[JsonSerializable(typeof(TransferResponse))]
[JsonSerializable(typeof(ShipmentView))]
[JsonSerializable(typeof(ReceiptResponse))]
[JsonSerializable(typeof(PageView<ShipmentLineView>))]
[JsonSerializable(typeof(IReadOnlyList<OverReceivedLine>))]
[JsonSerializable(typeof(List<OverReceivedLine>))]
[JsonSerializable(typeof(ImportLinesResponse))]
// Problems and the values their extensions carry
[JsonSerializable(typeof(ProblemDetails))]
[JsonSerializable(typeof(HttpValidationProblemDetails))]
[JsonSerializable(typeof(IReadOnlyDictionary<string, string[]>))]
[JsonSerializable(typeof(Dictionary<string, string[]>))]
[JsonSerializable(typeof(IReadOnlyList<ItemShortage>))]
[JsonSerializable(typeof(List<ItemShortage>))]
[JsonSerializable(typeof(BatchItemFailure[]))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(DateTimeOffset))]
// Events and records kept as JSON
[JsonSerializable(typeof(SqsBatchResponse))]
[JsonSerializable(typeof(JobRun))]
[JsonSerializable(typeof(AuthorizerResponse))]
[JsonSerializable(typeof(OrderOutcomeEvent))]
internal sealed partial class AppJsonContext : JsonSerializerContext;
