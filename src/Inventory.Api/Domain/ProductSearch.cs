using System.Globalization;
using System.Text;

namespace Inventory.Api.Domain;

/// <summary>
/// How product names and skus become search terms, and what a query matches. Pure: the index writes and the search
/// read both go through here, so a product is always looked for exactly the way it was indexed.
/// </summary>
public static class SearchText
{
    /// <summary>
    /// Terms longer than this are cut: a prefix query longer than a real word is meaningless, and it keeps an index
    /// item's sort key far below DynamoDB's 1,024 bytes whatever the script.
    /// </summary>
    public const int MaxTermLength = 64;

    /// <summary>
    /// A product writes one index item per indexed term in its creating transaction, beside the product and its stock
    /// row (DynamoDB allows 100 actions). Real names have a handful of words; past this many the rest still filter
    /// (AND) but cannot lead a query.
    /// </summary>
    public const int MaxIndexedTerms = 40;

    /// <summary>The length of the index partition key: a query's leading word must be at least this long.</summary>
    public const int PartitionLength = 2;

    /// <summary>
    /// The words of a text: lower case, accents dropped ("É" is "e", also when typed as "E" and a combining accent),
    /// compatibility forms folded ("ﬁ" is "fi", full-width "Ａ" is "a") and a few letters spelt as people type them
    /// ("ß" is "ss", "ø" is "o"), split on anything that is not a letter or a digit. The service runs without ICU
    /// (InvariantGlobalization, for Native AOT), where string.Normalize leaves such text unchanged, so decomposition is
    /// the generated <see cref="SearchFolding"/> table.
    /// </summary>
    public static List<string> Words(string? text)
    {
        var words = new List<string>();
        if (string.IsNullOrEmpty(text))
        {
            return words;
        }

        var current = new StringBuilder();
        foreach (var c in text)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.SpacingCombiningMark)
            {
                continue;
            }

            var lower = char.ToLowerInvariant(c);
            if (SearchFolding.Map.TryGetValue(c, out var folded) || SearchFolding.Map.TryGetValue(lower, out folded))
            {
                current.Append(folded);
            }
            else if (char.IsLetterOrDigit(c))
            {
                current.Append(lower);
            }
            else if (current.Length > 0)
            {
                words.Add(current.ToString());
                current.Clear();
            }
        }

        if (current.Length > 0)
        {
            words.Add(current.ToString());
        }

        return words;
    }

    /// <summary>
    /// Every term a product is found by: the words of its name, then those of its sku, each once, in that order, cut to
    /// <see cref="MaxTermLength"/>. The order matters: it decides which terms are indexed.
    /// </summary>
    public static List<string> ProductTerms(string name, string sku) =>
        Words(name).Concat(Words(sku))
            .Select(w => w.Length > MaxTermLength ? w[..MaxTermLength] : w)
            .Distinct(StringComparer.Ordinal)
            .ToList();

    /// <summary>The terms that get an index item: single characters never lead a query, so they only filter.</summary>
    public static List<string> IndexedTerms(IEnumerable<string> terms) =>
        terms.Where(t => t.Length >= PartitionLength).Take(MaxIndexedTerms).ToList();

    /// <summary>The index partition of a term or query word: its first <see cref="PartitionLength"/> characters.</summary>
    public static string PartitionOf(string term) => term[..PartitionLength];
}

/// <summary>A parsed search: its words (each a prefix some term must start with) and the one the index is read by.</summary>
public sealed record SearchQuery(IReadOnlyList<string> Words, string Leading)
{
    public const int MaxQueryLength = 200;
    public const int MaxWords = 5;

    /// <summary>
    /// Parses the text of a search, or says what is wrong with it. The longest word leads (ties: the first), as the
    /// longest prefix matches the fewest terms; the others filter the leading word's matches.
    /// </summary>
    public static SearchQuery? TryParse(string? text, out string? error)
    {
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "must not be empty; leave it out to list every product.";
            return null;
        }

        if (text.Length > MaxQueryLength)
        {
            error = $"must be at most {MaxQueryLength} characters.";
            return null;
        }

        var words = SearchText.Words(text).Distinct(StringComparer.Ordinal).ToList();
        if (words.Count > MaxWords)
        {
            error = $"may have at most {MaxWords} words.";
            return null;
        }

        if (words.Any(w => w.Length > SearchText.MaxTermLength))
        {
            error = $"words may be at most {SearchText.MaxTermLength} characters.";
            return null;
        }

        var leading = words.Where(w => w.Length >= SearchText.PartitionLength).MaxBy(w => w.Length);
        if (leading is null)
        {
            error = $"needs at least one word of {SearchText.PartitionLength} or more letters or digits.";
            return null;
        }

        return new SearchQuery(words, leading);
    }

    /// <summary>
    /// Whether the index item of <paramref name="term"/>, for a product with <paramref name="productTerms"/>, answers
    /// this query. Every word must start some term of the product (AND), and a product whose terms start with the
    /// leading word more than once ("shirt" and "short" for "sh") is answered only at the first of them in ordinal
    /// order, so every product is on exactly one page with no state kept between pages.
    /// </summary>
    public bool Accepts(string term, IReadOnlyList<string> productTerms)
    {
        if (!term.StartsWith(Leading, StringComparison.Ordinal))
        {
            return false;
        }

        var first = SearchText.IndexedTerms(productTerms)
            .Where(t => t.StartsWith(Leading, StringComparison.Ordinal))
            .Min(StringComparer.Ordinal);
        if (!string.Equals(first, term, StringComparison.Ordinal))
        {
            return false;
        }

        return Words.All(w => productTerms.Any(t => t.StartsWith(w, StringComparison.Ordinal)));
    }
}
