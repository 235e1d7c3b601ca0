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

    /// <summary>Far above any token the service hands out; a longer one is refused before it is decoded.</summary>
    public const int MaxPageTokenLength = 4096;

    /// <summary>What an id may look like (besides its length); the OpenAPI document states it too.</summary>
    public const string IdFormat = "^[A-Za-z0-9][A-Za-z0-9._:@~-]*$";

    /// <summary>RFC 3339 with a required offset, as <see cref="Time"/> accepts it; the OpenAPI document states it too.</summary>
    public const string TimeFormat = @"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,7})?(Z|[+-][0-9]{2}:[0-9]{2})$";

    private readonly Dictionary<string, List<string>> errors = new(StringComparer.Ordinal);

    /// <summary>An id; an optional one may be left out (null), but an empty string is never an id.</summary>
    public Validator Id(string field, string? value, bool required = true)
    {
        if (value is null)
        {
            if (required)
            {
                Add(field, "is required.");
            }
        }
        else if (value.Length == 0)
        {
            Add(field, required ? "is required." : "must not be empty; leave it out instead.");
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

    /// <summary>The text of a product search (see <see cref="Domain.SearchQuery"/> for its limits); null when absent.</summary>
    public Validator Search(string field, string? text, out SearchQuery? query)
    {
        query = null;
        if (text is null)
        {
            return this;
        }

        query = SearchQuery.TryParse(text, out var error);
        if (error is not null)
        {
            Add(field, error);
        }

        return this;
    }

    /// <summary>
    /// The two query parameters every paginated listing takes. <c>limit</c> arrives as text and must be plain
    /// digits: number parsing would otherwise accept "5%00" (a trailing NUL) or " 5".
    /// </summary>
    public Validator Paging(string? limit, string? nextToken, int maxPageSize, out int? parsedLimit)
    {
        parsedLimit = null;
        if (limit is not null)
        {
            if (limit.Length is > 0 and <= 6 && limit.All(char.IsAsciiDigit)
                && int.Parse(limit, System.Globalization.CultureInfo.InvariantCulture) is var n && n >= 1 && n <= maxPageSize)
            {
                parsedLimit = n;
            }
            else
            {
                Add("limit", $"must be a whole number from 1 to {maxPageSize}.");
            }
        }

        return Text("next_token", nextToken, MaxPageTokenLength, required: false);
    }

    /// <summary>
    /// An enum value given by its exact name. Enum.TryParse would also take "0" or "IN_STOCK,LOW_STOCK" (numbers and
    /// combined flags), which are not values of these enums.
    /// </summary>
    public Validator OneOf<TEnum>(string field, string? value, out TEnum? parsed)
        where TEnum : struct, Enum
    {
        parsed = null;
        if (value is null)
        {
            return this;
        }

        if (Enum.GetNames<TEnum>().Contains(value, StringComparer.Ordinal))
        {
            parsed = Enum.Parse<TEnum>(value);
        }
        else
        {
            Add(field, $"must be one of {string.Join(", ", Enum.GetNames<TEnum>())}.");
        }

        return this;
    }

    /// <summary>
    /// A moment as RFC 3339 text with its offset (<c>2026-11-29T10:00:00Z</c>, <c>2026-11-29T11:00:00.5+01:00</c>): a
    /// time without an offset would mean a different moment on every server.
    /// </summary>
    public Validator Time(string field, string? value, out DateTimeOffset? parsed)
    {
        parsed = null;
        if (value is null)
        {
            return this;
        }

        if (value.Length <= 40 && TimePattern().IsMatch(value)
            && DateTimeOffset.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var moment))
        {
            parsed = moment;
        }
        else
        {
            Add(field, "must be a time with its offset, such as 2026-11-29T10:00:00Z.");
        }

        return this;
    }

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

    [GeneratedRegex(IdFormat, RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();

    [GeneratedRegex(TimeFormat, RegexOptions.CultureInvariant)]
    private static partial Regex TimePattern();
}
