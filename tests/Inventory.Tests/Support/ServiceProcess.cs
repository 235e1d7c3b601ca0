using System.Diagnostics;
using Inventory.Api;

namespace Inventory.Tests.Support;

/// <summary>
/// The service as its own operating-system process (the build the tests reference), so a test can kill it with
/// SIGKILL mid-flight, as a crash or an out-of-memory kill would, and start another on the same tables.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process process;

    private readonly System.Collections.Concurrent.ConcurrentQueue<string> output = new();

    private ServiceProcess(Process process, Uri address)
    {
        this.process = process;
        Address = address;
    }

    public Uri Address { get; }

    /// <summary>Its standard output so far, one entry per line as a log reader sees lines (CR, LF and CRLF all end one).</summary>
    public IReadOnlyList<string> Output => [.. output];

    public static async Task<ServiceProcess> StartAsync(IEnumerable<string> args)
    {
        var port = Inventory.Api.Local.DynamoDbLocal.FreePort();
        var directory = Path.GetDirectoryName(typeof(InventoryApp).Assembly.Location)!;
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(directory, "Inventory.Api.dll"));
        foreach (var arg in args.Append($"--urls=http://127.0.0.1:{port}"))
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        var service = new ServiceProcess(process, new Uri($"http://127.0.0.1:{port}"));
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                service.output.Enqueue(line);
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var probe = new HttpClient { BaseAddress = service.Address, Timeout = TimeSpan.FromSeconds(2) };
            await Eventually.TrueAsync(async () =>
            {
                Assert.False(process.HasExited, $"the service exited with {(process.HasExited ? process.ExitCode : 0)} before it was ready");
                try
                {
                    return (await probe.GetAsync("/health/live")).IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
                catch (TaskCanceledException)
                {
                    // One probe that took longer than its 2 s (a process still starting on a busy machine): ask again, within the minute.
                    return false;
                }
            }, "the service process answers", TimeSpan.FromSeconds(60));
        }
        catch
        {
            // A service that never became ready is not handed to the test, so nothing else would stop it.
            await service.DisposeAsync();
            throw;
        }

        return service;
    }

    /// <summary>SIGKILL: no shutdown, no flush, no hosted service stopping; whatever was in flight is cut off.</summary>
    public async Task KillAsync()
    {
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            await KillAsync();
        }

        process.Dispose();
    }
}
