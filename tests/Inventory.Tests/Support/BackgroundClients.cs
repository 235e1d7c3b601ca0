namespace Inventory.Tests.Support;

/// <summary>
/// Clients that keep sending requests until stopped, for tests that change something under load. Disposing stops them
/// and waits for them, so a test that fails half-way leaves no load behind for the tests that run after it.
/// </summary>
public sealed class BackgroundClients : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly Task running;

    /// <param name="clients">How many clients run at once.</param>
    /// <param name="send">One round of one client (its number, the round's number): one or more requests.</param>
    public BackgroundClients(int clients, Func<int, int, Task> send) =>
        running = Task.WhenAll(Enumerable.Range(0, clients).Select(async client =>
        {
            for (var round = 0; !stop.IsCancellationRequested; round++)
            {
                await send(client, round);
            }
        }));

    /// <summary>Stops the clients and waits for their last requests; a client's exception surfaces here.</summary>
    public async Task StopAsync()
    {
        await stop.CancelAsync();
        await running;
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        try
        {
            await running;
        }
        catch (Exception)
        {
            // The test already failed (or called StopAsync, which reported it): what matters here is that the load stops.
        }

        stop.Dispose();
    }
}
