using System.Diagnostics;

namespace Inventory.Tests.Support;

/// <summary>
/// Waits on a condition with a deadline: for work that follows a write on its own time (the change stream, the expiry
/// sweep, alert delivery). Fails the test with what it was waiting for, and how it last looked, when time runs out.
/// </summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < (timeout ?? DefaultTimeout), $"Timed out after {clock.Elapsed.TotalSeconds:F1} s waiting until {what}");
            await Task.Delay(20);
        }
    }

    /// <summary>Waits until <paramref name="read"/> gives a value <paramref name="accept"/> takes, and returns it.</summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T>> read, Func<T, bool> accept, string what, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var value = await read();
            if (accept(value))
            {
                return value;
            }

            Assert.True(clock.Elapsed < (timeout ?? DefaultTimeout),
                $"Timed out after {clock.Elapsed.TotalSeconds:F1} s waiting until {what}; last seen: {value}");
            await Task.Delay(20);
        }
    }
}
