using System.Text.RegularExpressions;

namespace Inventory.Api.Domain;

/// <summary>
/// Collects every problem with a request before anything is written, so a bad request gets one answer
/// listing all its faults and changes nothing.
/// </summary>
public sealed partial class Validator
{
    public const int MaxIdLength = 128;

    /// <summary>Above any real shelf and far below 2^53, so counts stay exact in JSON numbers everywhere.</summary>
    public const long MaxCount = 1_000_000_000;

    private readonly Dictionary<string, List<string>> errors = new(StringComparer.Ordinal);

    public Validator Id(string field, string? value, bool required = true)
    {
        if (string.IsNullOrEmpty(value))
        {
            if (required)
            {
                Add(field, "is required.");
            }
        }
        else if (value.Length > MaxIdLength)
        {
            Add(field, $"must be at most {MaxIdLength} characters.");
        }
        else if (!IdPattern().IsMatch(value))
        {
            Add(field, "may contain only letters, digits and . _ - : @ ~, starting with a letter or digit.");
        }

        return this;
    }

    public Validator Range(string field, long? value, long min, long max, bool required = true)
    {
        if (value is null)
        {
            if (required)
            {
                Add(field, "is required.");
            }
        }
        else if (value < min || value > max)
        {
            Add(field, $"must be an integer from {min} to {max}.");
        }

        return this;
    }

    public Validator NonZero(string field, long? value)
    {
        if (value == 0)
        {
            Add(field, "must not be zero.");
        }

        return this;
    }

    public Validator Text(string field, string? value, int maxLength, bool required = true)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            if (required)
            {
                Add(field, "is required.");
            }
        }
        else if (value.Length > maxLength)
        {
            Add(field, $"must be at most {maxLength} characters.");
        }

        return this;
    }

    public Validator Url(string field, string? value)
    {
        if (value is null)
        {
            return this;
        }

        if (value.Length > 2048
            || !Uri.TryCreate(value, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            Add(field, "must be an absolute http(s) URL of at most 2048 characters.");
        }

        return this;
    }

    public Validator Price(string field, decimal? value)
    {
        if (value is null)
        {
            Add(field, "is required.");
        }
        else if (value < 0 || value > 1_000_000_000m || decimal.Round(value.Value, 4) != value)
        {
            Add(field, "must be a non-negative amount below 1e9 with at most 4 decimal places.");
        }

        return this;
    }

    public Validator Check(bool condition, string field, string message)
    {
        if (!condition)
        {
            Add(field, message);
        }

        return this;
    }

    /// <summary>The two query parameters every paginated listing takes.</summary>
    public Validator Paging(int? limit, string? nextToken, int maxPageSize) =>
        Range("limit", limit, 1, maxPageSize, required: false).Text("next_token", nextToken, 4096, required: false);

    public bool IsValid => errors.Count == 0;

    /// <summary>Throws a 400 <c>validation_failed</c> listing every fault, if there is any.</summary>
    public void ThrowIfInvalid()
    {
        if (!IsValid)
        {
            throw Problems.Validation(errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal));
        }
    }

    private void Add(string field, string message)
    {
        if (!errors.TryGetValue(field, out var list))
        {
            errors[field] = list = [];
        }

        list.Add(message);
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._:@~-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();
}
