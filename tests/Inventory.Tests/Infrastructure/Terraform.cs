using System.Diagnostics;
using System.Text.Json;
using Inventory.Tests.Lambda;

namespace Inventory.Tests.Infrastructure;

/// <summary>The Terraform files as JSON (parsed by deploy/terraform-check/hcl.mjs, HCL's own parser); expressions stay "${...}" strings.</summary>
public static class Terraform
{
    private static readonly Lazy<JsonElement> Parsed = new(() =>
    {
        var node = Process.Start(new ProcessStartInfo("node", [Path.Combine("deploy", "terraform-check", "hcl.mjs")])
        {
            WorkingDirectory = PackagedFunctions.RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = node.StandardOutput.ReadToEnd();
        var errors = node.StandardError.ReadToEnd();
        node.WaitForExit();
        Assert.True(node.ExitCode == 0, "hcl.mjs failed: " + errors);
        return JsonDocument.Parse(output).RootElement.Clone();
    });

    public static JsonElement File(string path) => Parsed.Value.GetProperty(path);

    /// <summary>The single body of resource TYPE.NAME in the module's file.</summary>
    public static JsonElement Resource(string file, string type, string name) =>
        File($"modules/inventory/{file}").GetProperty("resource").GetProperty(type).GetProperty(name)[0];

    /// <summary>A local of the module (locals blocks of every file).</summary>
    public static JsonElement Local(string file, string name) =>
        File($"modules/inventory/{file}").GetProperty("locals").EnumerateArray().First(l => l.TryGetProperty(name, out _)).GetProperty(name);

    public static JsonElement Manifest { get; } = JsonDocument.Parse(System.IO.File.ReadAllText(
        Path.Combine(PackagedFunctions.RepositoryRoot, "deploy", "functions.json"))).RootElement.Clone();

    public static string RoutesFile { get; } = Path.Combine(PackagedFunctions.RepositoryRoot, "deploy", "api-routes.json");
}
