namespace Inventory.Api.Projections;

/// <summary>
/// One piece of derived work that follows the stock table's change stream (the history, the stored status with its
/// alerts, the days of cover). <see cref="ChangeStream"/> hands every consumer the same batch, in stream order, on AWS
/// from the stream function's event source mapping and locally from <see cref="LocalStreamReader"/>.
/// <para>
/// The contract: a consumer writes only what the records imply, keyed so that a record handed over again writes nothing
/// new (the reader resumes from the first record not handled by all, so consumers that got further see some records
/// twice); a record it cannot read it logs and skips (retrying cannot change it); a failure it reports as the index of
/// the first record it did not finish, never by throwing.
/// </para>
/// </summary>
public interface IChangeConsumer
{
    /// <summary>What it keeps, for logs and metrics: "history", "status", "cover".</summary>
    string Name { get; }

    Task<Consumed> ConsumeAsync(IReadOnlyList<ChangeRecord> records, CancellationToken ct);
}

/// <summary>How far a consumer got through a batch: <paramref name="Handled"/> records, then the failure (null: all of them).</summary>
public readonly record struct Consumed(int Handled, Exception? Failure)
{
    public static implicit operator Consumed((int Handled, Exception? Failure) result) => new(result.Handled, result.Failure);
}
