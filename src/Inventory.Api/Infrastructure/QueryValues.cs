using System.Text.Json.Nodes;
using Inventory.Api.Domain;
using Inventory.Api.Features;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;

namespace Inventory.Api.Infrastructure;

/// <summary>
/// What a query parameter accepts, for the OpenAPI document. Query parameters are bound as text so that the
/// <see cref="Validator"/> explains a bad value as a 400 problem, not the framework; the document would otherwise call
/// every one a plain string. Each attribute states the schema of exactly what the parameter's validation accepts, and
/// <see cref="OpenApiDocumentation"/> puts it on the parameter.
/// </summary>
[AttributeUsage(AttributeTargets.Parameter)]
public abstract class QueryValueAttribute : Attribute
{
    /// <summary>The service refuses a request without this parameter.</summary>
    public bool Required { get; set; }

    /// <summary>What the parameter means; without one, the document says what it accepts.</summary>
    public string? Description { get; set; }

    public abstract OpenApiSchema Schema(IServiceProvider services);

    /// <summary>What the parameter accepts, in words: its description when the parameter has none of its own.</summary>
    public abstract string Accepts(IServiceProvider services);
}

/// <summary>One of fixed values, spelt exactly (<see cref="Validator.OneOf{TEnum}"/>, or a check against a list).</summary>
public sealed class QueryEnumAttribute(params string[] values) : QueryValueAttribute
{
    public QueryEnumAttribute(Type enumType)
        : this(Enum.GetNames(enumType))
    {
    }

    public IReadOnlyList<string> Values { get; } = values;

    public override OpenApiSchema Schema(IServiceProvider services) =>
        new() { Type = JsonSchemaType.String, Enum = [.. Values.Select(v => (JsonNode)JsonValue.Create(v))] };

    public override string Accepts(IServiceProvider services) => $"One of {string.Join(", ", Values)}, spelt exactly.";
}

/// <summary><c>true</c> or <c>false</c>, nothing else.</summary>
public sealed class QueryBooleanAttribute : QueryValueAttribute
{
    public override OpenApiSchema Schema(IServiceProvider services) => new() { Type = JsonSchemaType.Boolean };

    public override string Accepts(IServiceProvider services) => "true or false.";
}

/// <summary>A moment with its offset (<see cref="Validator.Time"/>).</summary>
public sealed class QueryTimeAttribute : QueryValueAttribute
{
    public override OpenApiSchema Schema(IServiceProvider services) =>
        new() { Type = JsonSchemaType.String, Format = "date-time", Pattern = Validator.TimeFormat };

    public override string Accepts(IServiceProvider services) => "A time with its offset (RFC 3339), such as 2026-11-29T10:00:00Z.";
}

/// <summary>
/// A page's <c>limit</c> (<see cref="Validator.Paging"/>): plain digits from 1 to the listing's maximum, which is
/// <see cref="InventoryOptions.MaxPageSize"/> unless the listing names its own.
/// </summary>
public sealed class QueryLimitAttribute : QueryValueAttribute
{
    private readonly int? maximum;

    public QueryLimitAttribute()
    {
    }

    public QueryLimitAttribute(int maximum) => this.maximum = maximum;

    public int Maximum(IServiceProvider services) =>
        maximum ?? services.GetRequiredService<IOptions<InventoryOptions>>().Value.MaxPageSize;

    public override OpenApiSchema Schema(IServiceProvider services) =>
        new() { Type = JsonSchemaType.Integer, Minimum = "1", Maximum = Maximum(services).ToString(System.Globalization.CultureInfo.InvariantCulture) };

    public override string Accepts(IServiceProvider services) => $"The most items in the answer, 1 to {Maximum(services)}.";
}

/// <summary>An id (<see cref="Validator.Id"/>): non-empty, at most <see cref="Validator.MaxIdLength"/> characters of the id alphabet.</summary>
public sealed class QueryIdAttribute : QueryValueAttribute
{
    public override OpenApiSchema Schema(IServiceProvider services) =>
        new() { Type = JsonSchemaType.String, MinLength = 1, MaxLength = Validator.MaxIdLength, Pattern = Validator.IdFormat };

    public override string Accepts(IServiceProvider services) =>
        $"An id: up to {Validator.MaxIdLength} letters, digits and . _ - : @ ~, starting with a letter or digit.";
}

/// <summary>
/// A product search (<see cref="Validator.Search"/>): not empty nor only spaces, at most so many characters. Its
/// other limits (words, their length) are in its refusal, not in the schema.
/// </summary>
public sealed class QuerySearchAttribute(int maxLength) : QueryValueAttribute
{
    public override OpenApiSchema Schema(IServiceProvider services) =>
        new() { Type = JsonSchemaType.String, MinLength = 1, MaxLength = maxLength, Pattern = @"\S" };

    public override string Accepts(IServiceProvider services) => $"Search words, at most {maxLength} characters.";
}

/// <summary>A page's <c>next_token</c> (<see cref="Validator.Paging"/>).</summary>
public sealed class QueryPageTokenAttribute : QueryValueAttribute
{
    public override OpenApiSchema Schema(IServiceProvider services) => new() { Type = JsonSchemaType.String, MaxLength = Validator.MaxPageTokenLength };

    public override string Accepts(IServiceProvider services) =>
        "The next_token of the previous page, with the same filters, to read the next one; left out for the first page.";
}
