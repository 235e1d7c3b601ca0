using System.Diagnostics;
using Inventory.Tests.Lambda;

namespace Inventory.Tests.Infrastructure;

/// <summary>deploy/deploy.sh refuses clearly, before building or changing anything, where it cannot deploy.</summary>
public class DeployScriptTests
{
    private static (int Code, string Errors) Run(params string[] args)
    {
        var start = new ProcessStartInfo("bash", ["deploy/deploy.sh", .. args])
        {
            WorkingDirectory = PackagedFunctions.RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // No credentials from anywhere: no profile, no files, no instance metadata.
        foreach (var variable in start.Environment.Keys.Where(k => k.StartsWith("AWS_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(variable);
        }

        start.Environment["AWS_CONFIG_FILE"] = "/nonexistent/config";
        start.Environment["AWS_SHARED_CREDENTIALS_FILE"] = "/nonexistent/credentials";
        start.Environment["AWS_EC2_METADATA_DISABLED"] = "true";
        start.Environment.Remove("TF_STATE_BUCKET");
        using var script = Process.Start(start)!;
        var errors = script.StandardError.ReadToEndAsync();
        script.StandardOutput.ReadToEnd();
        Assert.True(script.WaitForExit(TimeSpan.FromSeconds(60)), "deploy.sh did not finish");
        return (script.ExitCode, errors.Result);
    }

    [Fact]
    public void Plan_only_without_terraform_or_credentials_fails_with_a_clear_message_and_builds_nothing()
    {
        var package = Path.Combine(PackagedFunctions.RepositoryRoot, "artifacts", "lambda", "inventory-arm64-aot.zip");
        var before = File.Exists(package) ? File.GetLastWriteTimeUtc(package) : DateTime.MinValue;

        var (code, errors) = Run("dev", "--plan-only");

        Assert.Equal(1, code);
        Assert.Matches("^error: (terraform .* is not installed|the AWS CLI .* is not installed|no usable AWS credentials)", errors);
        Assert.Equal(before, File.Exists(package) ? File.GetLastWriteTimeUtc(package) : DateTime.MinValue);
    }

    [Theory]
    [InlineData("staging", "no environment 'staging'")]
    [InlineData("../etc", "environment names are lower-case")]
    [InlineData("--arch=mips", "unknown option")]
    public void Bad_arguments_are_refused_before_anything_else(string argument, string message)
    {
        var (code, errors) = Run(argument);

        Assert.Equal(1, code);
        Assert.Contains(message, errors);
    }
}
