using Amazon.DynamoDBv2.Model;
using Inventory.Api.Domain;
using Inventory.Api.Features.Fulfilment;
using Inventory.Api.Storage;
using Inventory.Api.Infrastructure;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Features.Reservations;

public sealed record ReservationResult(IReadOnlyList<Reservation> Reservations, bool Replayed);

/// <summary>
/// Holds: taking, replaying, extending and releasing them (listing them is <see cref="ReservationRecords"/>). Each
/// write is one transaction over the stock rows (<see cref="StockRows"/>) and the reservation records
/// (<see cref="ReservationRecords"/>); what follows from it (history, stored status, alerts, days of cover) is the
/// change stream's (<see cref="Projections.ChangeStream"/>). Sales are in <see cref="SaleCommands"/>, expiry in
/// <see cref="HoldExpiry"/>.
/// </summary>
public sealed class HoldCommands(
    Writes writes, InventoryStore inventory, StockRows rows, HotRows hot, ReservationRecords records, HoldExpiry expiry,
    IOptions<AttemptOptions> attempts, TimeProvider clock)
{
    private readonly AttemptOptions budgets = attempts.Value;

    /// <summary>The hold, if there is one that <paramref name="by"/> may see (<see cref="Reservation.BelongsTo"/>).</summary>
    public async Task<Reservation?> GetAsync(string productId, string reservationId, Actor by, CancellationToken ct) =>
        await records.GetAsync(productId, reservationId, ct) is { } hold && hold.BelongsTo(by) ? hold : null;

    /// <summary>
    /// Holds every item or none. Each item adds two actions (the stock row's conditional increment and the
    /// reservation record's create-if-absent), so the same reservation id replayed finds its records and
    /// returns them instead of holding twice.
    /// <para>
    /// <paramref name="outcomeRecord"/>, when given, builds one more record that commits in the same transaction
    /// (a processed-order record: the outbox of the order service's answer). If that record already exists,
    /// nothing is held and the result is an empty replay: the caller reads the outcome it recorded before.
    /// </para>
    /// </summary>
    public async Task<ReservationResult> ReserveAsync(
        string reservationId, IReadOnlyList<ReserveItem> items, int ttlSeconds, Actor by, CancellationToken ct,
        Func<IReadOnlyList<Reservation>, TransactWriteItem>? outcomeRecord = null)
    {
        var actionCount = (items.Count * 2) + (outcomeRecord is null ? 0 : 1);
        if (actionCount > Transaction.MaxActions)
        {
            throw Problems.TooManyItems(actionCount, Transaction.MaxActions);
        }

        var fingerprint = Fingerprint.Of(
            "reserve", ttlSeconds,
            string.Join(';', items.OrderBy(i => i.ProductId, StringComparer.Ordinal).Select(i => $"{i.ProductId}@{i.WarehouseId}x{i.Quantity}")));

        var reclaimed = false;
        var routes = items.Select(_ => new HoldRoute(budgets.HotRowRounds)).ToArray();
        for (var attempt = 1; ; attempt++)
        {
            List<ReserveItem> resolved;
            try
            {
                resolved = await inventory.ResolveWarehousesAsync(items, ct);
            }
            catch (InventoryException e) when (e.Code == "insufficient_stock")
            {
                // A replay after the stock ran out must still find its reservation, not be refused.
                if (await records.GetAsync(items[0].ProductId, reservationId, ct) is { } existing)
                {
                    return await ReplayAsync(existing, reservationId, items, fingerprint, by, ct);
                }

                if (!reclaimed && await expiry.ReclaimAsync(items.Select(i => i.ProductId), ct))
                {
                    reclaimed = true;
                    continue;
                }

                throw;
            }

            for (var i = 0; i < resolved.Count; i++)
            {
                await routes[i].ChooseAsync(hot, resolved[i], ct);
            }

            var now = clock.UtcNowMillis();
            var holds = resolved
                .Select((i, n) => new Reservation(i.ProductId, reservationId, i.WarehouseId!, i.Quantity, ReservationStatus.ACTIVE,
                    now, now.AddSeconds(ttlSeconds), fingerprint, HeldBy: by.KeyId, HeldOn: routes[n].HeldOn(i.ProductId)))
                .ToList();

            var transaction = new Transaction();
            var steps = holds.Select((h, n) => (
                Hold: h,
                Row: transaction.Add(rows.TakeHold(h.RowKey, h.WarehouseId, h.Quantity, now, new MoveCause(MoveKind.HOLD, by, Reference: reservationId), claimed: routes[n].Claims)),
                Record: transaction.Add(records.Create(h)),
                Claim: routes[n].Claims ? transaction.Add(records.Claim(h)) : (ActionHandle?)null)).ToList();
            var outcomeStep = outcomeRecord is null ? (ActionHandle?)null : transaction.Add(outcomeRecord(holds));
            if (transaction.Count > Transaction.MaxActions)
            {
                throw Problems.TooManyItems(transaction.Count, Transaction.MaxActions);
            }

            var outcome = await writes.CommitAsync(transaction, ct);
            if (outcome.IsCommitted)
            {
                return new ReservationResult(holds, Replayed: false);
            }

            if (outcomeStep is { } answered && outcome.Failed(answered))
            {
                return new ReservationResult([], Replayed: true);
            }

            // A reservation record (or, on a hot row, its claim) that already exists means this is a replay (or a reused id).
            if (steps.FirstOrDefault(s => outcome.Failed(s.Record)) is { Hold: not null } repeat)
            {
                return await ReplayAsync(Items.ToReservation(outcome.OldItem(repeat.Record)!), reservationId, items, fingerprint, by, ct);
            }

            if (steps.FirstOrDefault(s => s.Claim is { } claim && outcome.Failed(claim)) is { Hold: not null } claimed)
            {
                var existing = await records.GetAsync(claimed.Hold.ProductId, reservationId, ct) ?? throw Problems.IdempotencyConflict(reservationId);
                return await ReplayAsync(existing, reservationId, items, fingerprint, by, ct);
            }

            var shortages = new List<ItemShortage>();
            var choseWarehouse = false;
            var rerouted = false;
            for (var n = 0; n < steps.Count; n++)
            {
                var (step, item) = (steps[n], items[n]);
                if (!outcome.Failed(step.Row))
                {
                    continue;
                }

                var old = outcome.OldItem(step.Row) is { } found ? Items.ToRow(found) : null;
                if (await routes[n].RerouteAsync(hot, step.Hold, old, ct))
                {
                    rerouted = true;
                    continue;
                }

                old ??= routes[n].Claims ? null : throw await inventory.MissingRowProblemAsync(item.ProductId, step.Hold.WarehouseId, ct);
                var whole = routes[n].Claims || old!.IsSpread ? await inventory.GetRowAsync(item.ProductId, step.Hold.WarehouseId, ct) : old;
                var available = whole?.AvailableCount ?? 0;
                if (whole is not null && available >= item.Quantity && routes[n].TryAgain(whole))
                {
                    // A spread row has the units, but other holds took them from each sub-row this one tried: not short.
                    rerouted = true;
                    continue;
                }

                choseWarehouse |= item.WarehouseId is null;
                shortages.Add(new ItemShortage(item.ProductId, step.Hold.WarehouseId, item.Quantity, available, "insufficient_stock"));
            }

            if (rerouted && shortages.Count == 0)
            {
                attempt--; // another sub-row to try is not another attempt at the warehouse choice
                continue;
            }

            if (choseWarehouse && attempt < budgets.WarehouseChoice)
            {
                continue;
            }

            if (!reclaimed && await expiry.ReclaimAsync(shortages.Select(x => x.ProductId), ct))
            {
                reclaimed = true;
                continue;
            }

            throw Problems.Shortage(shortages);
        }
    }

    /// <summary>
    /// Where one item of a hold takes its units. On a row that is not spread, the row itself. On a hot row, a sub-row
    /// picked at random, so the holds of a flash sale spread over the sub-rows' partitions; one that is short sends the
    /// hold to another it has not tried, and once every sub-row has been tried the units are gathered on sub-row 0 (a
    /// hold larger than any one sub-row's share, or units a rebalance moved in between), so a hold is refused only when
    /// the row as a whole is short. On a row folding back, sub-row 0 alone. A hold on a spread row (hot or folding)
    /// claims its id, so that id is held once whichever sub-row it lands on.
    /// </summary>
    private sealed class HoldRoute(int maxRounds)
    {
        private readonly HashSet<int> tried = [];
        private string? warehouseId;
        private int subRows;
        private int chosen;
        private bool gathered;
        private int rounds;

        /// <summary>The row is spread (hot, or folding back): the hold writes a claim, without which the row refuses it.</summary>
        public bool Claims { get; private set; }

        public string? HeldOn(string productId) => chosen == 0 ? null : SubRows.KeyOf(productId, chosen);

        public async Task ChooseAsync(HotRows hot, ReserveItem item, CancellationToken ct)
        {
            if (warehouseId != item.WarehouseId)
            {
                // First choice, or the warehouse choice moved to another row: start over on that row.
                (warehouseId, subRows, gathered, Claims) = (item.WarehouseId, 0, false, false);
                tried.Clear();
            }

            if (subRows == 0)
            {
                Follow(await hot.HoldSpreadAsync(item.ProductId, item.WarehouseId!, ct));
            }
        }

        /// <summary>Starts over on the row's shape as last learnt: a sub-row at random, none tried, nothing gathered.</summary>
        private void Follow(HoldSpread spread)
        {
            (subRows, Claims, gathered) = (spread.SubRows, spread.Spread, false);
            chosen = subRows > 1 ? Random.Shared.Next(subRows) : 0;
            tried.Clear();
        }

        /// <summary>
        /// Another round, on the row as it is now (<paramref name="row"/>, just read whole): it was read with enough
        /// units after every place this hold tried refused, so racing holds took them from under it, or the row changed
        /// shape (marked hot, folded back) since the route was chosen. Bounded, so a row that keeps changing hands ends
        /// in an answer.
        /// </summary>
        public bool TryAgain(InventoryRow row)
        {
            if (!Claims || rounds >= maxRounds)
            {
                return false;
            }

            rounds++;
            Follow(HoldSpread.Of(row));
            return true;
        }

        /// <summary>After a refusal of this item: whether there is somewhere else to try (false: the row as a whole is short).</summary>
        public async Task<bool> RerouteAsync(HotRows hot, Reservation hold, InventoryRow? refusedBy, CancellationToken ct)
        {
            if (!Claims && refusedBy is { IsSpread: true } row)
            {
                // Hot (or folding back) since the list of spread rows was read: the row refused a hold without a claim.
                Follow(HoldSpread.Of(row));
                return true;
            }

            if (subRows <= 1)
            {
                // One place to take from (a folding row's sub-row 0): its units there, once gathered from the others.
                if (!Claims || gathered)
                {
                    return false;
                }

                gathered = true;
                return await hot.GatherAsync(hold.ProductId, hold.WarehouseId, hold.Quantity, ct) >= hold.Quantity;
            }

            tried.Add(chosen);
            var untried = Enumerable.Range(0, subRows).Where(i => !tried.Contains(i)).ToList();
            if (untried.Count > 0)
            {
                chosen = untried[Random.Shared.Next(untried.Count)];
                return true;
            }

            if (gathered)
            {
                return false;
            }

            gathered = true;
            chosen = 0;
            return await hot.GatherAsync(hold.ProductId, hold.WarehouseId, hold.Quantity, ct) >= hold.Quantity;
        }
    }

    /// <summary>
    /// Keeps a hold alive until at least <paramref name="ttlSeconds"/> from now (a shopper still in checkout).
    /// It never shortens a hold, so repeating it changes nothing more. One conditional update carries every rule
    /// (active, not yet expired, the caller's own, later than now): when it does not apply, the record as it was
    /// says why, or that the hold already lasts long enough.
    /// </summary>
    public async Task<Reservation> ExtendAsync(string productId, string reservationId, int ttlSeconds, Actor by, CancellationToken ct)
    {
        var now = clock.UtcNowMillis();
        Dictionary<string, AttributeValue>? seen = null;
        var extended = await writes.UpdateAsync(
            records.Extend(productId, reservationId, now, now.AddSeconds(ttlSeconds), by), failed => seen = failed.Item, ct);
        if (extended is null && seen is not { Count: > 0 } && await records.HeldOnAsync(productId, reservationId, ct) is { } heldOn)
        {
            // Not kept under the product: a hold on a hot row's sub-row, found through its claim.
            extended = await writes.UpdateAsync(
                records.Extend(heldOn, reservationId, now, now.AddSeconds(ttlSeconds), by), failed => seen = failed.Item, ct);
        }

        if (extended is not null)
        {
            return Items.ToReservation(extended.Attributes);
        }

        var hold = seen is { Count: > 0 } ? Items.ToReservation(seen) : null;
        if (hold is null || !hold.BelongsTo(by))
        {
            throw Problems.ReservationNotFound(productId, reservationId);
        }

        hold.EnsureExtendable(now);
        return hold;
    }

    /// <summary>Gives a hold's units back. Releasing twice, or releasing an expired hold, is a no-op.</summary>
    public async Task ReleaseAsync(string productId, string reservationId, Actor by, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var hold = await GetAsync(productId, reservationId, by, ct) ?? throw Problems.ReservationNotFound(productId, reservationId);
            if (!hold.NeedsRelease())
            {
                return;
            }

            var now = clock.UtcNowMillis();
            var transaction = new Transaction();
            var finish = transaction.Add(records.Finish(hold, ReservationStatus.RELEASED, now));
            transaction.Add(rows.ReturnHold(hold.RowKey, hold.WarehouseId, hold.Quantity, now, new MoveCause(MoveKind.RELEASE, by, Reference: reservationId)));
            var outcome = await writes.CommitAsync(transaction, ct);
            if (outcome.IsCommitted)
            {
                return;
            }

            if (!outcome.Failed(finish) || attempt >= budgets.WarehouseChoice)
            {
                // The record was ACTIVE but its row holds fewer units than it: the invariant is broken.
                throw new InvalidOperationException(
                    $"Row {productId}/{hold.WarehouseId} holds fewer reserved units than active reservation {reservationId}.");
            }

            // Someone else finished the reservation between our read and write: answer from its new state.
        }
    }

    private async Task<ReservationResult> ReplayAsync(
        Reservation existing, string reservationId, IReadOnlyList<ReserveItem> items, string fingerprint, Actor by, CancellationToken ct)
    {
        // Another key's reservation id is not a replay of this request, even with the same items.
        if (existing.RequestFingerprint != fingerprint || !existing.BelongsTo(by))
        {
            throw Problems.IdempotencyConflict(reservationId);
        }

        // Records of one request are written together, so the others exist too.
        var all = (await Task.WhenAll(items.Select(item => records.GetAsync(item.ProductId, reservationId, ct)))).OfType<Reservation>().ToList();
        return new ReservationResult(all, Replayed: true);
    }
}
