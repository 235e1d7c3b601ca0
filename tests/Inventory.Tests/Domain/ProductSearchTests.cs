using Inventory.Api.Domain;

namespace Inventory.Tests.Domain;

public class SearchTextTests
{
    [Theory]
    [InlineData("Café Crème Mug", new[] { "cafe", "creme", "mug" })]
    [InlineData("  T-Shirt (XL), 2-pack!", new[] { "t", "shirt", "xl", "2", "pack" })]
    [InlineData("ÉCOLE Ñandú Straße Ærø", new[] { "ecole", "nandu", "strasse", "aero" })]
    [InlineData("ﬁne ＡＢＣ İstanbul", new[] { "fine", "abc", "istanbul" })]
    [InlineData("Cafe\u0301 cre\u0300me", new[] { "cafe", "creme" })]
    [InlineData("Ἀθῆναι Ёлка", new[] { "αθηναι", "елка" })]
    [InlineData("", new string[0])]
    [InlineData("--- !!", new string[0])]
    public void Words_are_lower_case_without_accents_split_on_anything_not_a_letter_or_digit(string text, string[] words) =>
        Assert.Equal(words, SearchText.Words(text));

    [Fact]
    public void A_products_terms_are_its_name_words_then_its_sku_words_each_once()
    {
        Assert.Equal(["stoneware", "mug", "demo"], SearchText.ProductTerms("Stoneware mug", "DEMO-MUG"));
        var longWord = new string('a', 100);
        Assert.Equal(SearchText.MaxTermLength, SearchText.ProductTerms(longWord, "x1").First().Length);
    }

    [Fact]
    public void Single_characters_are_not_indexed_and_no_product_has_more_index_items_than_its_transaction_allows()
    {
        Assert.Equal(["shirt", "pack", "sku"], SearchText.IndexedTerms(["t", "shirt", "2", "pack", "sku"]));
        var many = Enumerable.Range(0, 200).Select(i => "w" + i).ToList();
        Assert.Equal(SearchText.MaxIndexedTerms, SearchText.IndexedTerms(many).Count);
        Assert.True(SearchText.MaxIndexedTerms + 2 <= 100, "product + stock row + index items must fit one transaction");
    }
}

public class SearchQueryTests
{
    [Theory]
    [InlineData("cafe", "cafe")]
    [InlineData("CRÈ", "cre")]
    [InlineData("mug café", "cafe")]
    [InlineData("t shirt", "shirt")]
    [InlineData("ab cd", "ab")]
    public void The_longest_word_leads_the_query(string text, string leading)
    {
        var query = SearchQuery.TryParse(text, out var error);
        Assert.Null(error);
        Assert.Equal(leading, query!.Leading);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("a")]
    [InlineData("a b c")]
    [InlineData("!!!")]
    [InlineData("one two three four five six")]
    public void Queries_without_a_word_of_two_characters_or_with_too_many_words_are_refused(string text)
    {
        Assert.Null(SearchQuery.TryParse(text, out var error));
        Assert.NotNull(error);
    }

    [Fact]
    public void Overlong_queries_and_words_are_refused()
    {
        Assert.Null(SearchQuery.TryParse(new string('a', SearchQuery.MaxQueryLength + 1), out _));
        Assert.Null(SearchQuery.TryParse(new string('a', SearchText.MaxTermLength + 1), out _));
        Assert.NotNull(SearchQuery.TryParse(new string('a', SearchText.MaxTermLength), out _));
    }

    [Fact]
    public void Every_word_must_start_a_term_of_the_product()
    {
        var terms = SearchText.ProductTerms("Café Crème Mug", "demo-mug");
        Assert.True(Parse("cafe mu").Accepts("cafe", terms));
        Assert.True(Parse("CRÈ").Accepts("creme", terms));
        Assert.True(Parse("dem").Accepts("demo", terms));
        Assert.False(Parse("cafe tea").Accepts("cafe", terms));
        Assert.False(Parse("afe").Accepts("cafe", terms));
    }

    [Fact]
    public void A_product_with_several_terms_starting_with_the_leading_word_is_answered_once_at_the_first()
    {
        var terms = SearchText.ProductTerms("Short shirt", "sh-1");
        var query = Parse("sh");
        Assert.Equal(["sh"], terms.Where(t => query.Accepts(t, terms)));
        Assert.Equal(["shirt"], terms.Where(t => Parse("shi").Accepts(t, terms)));
        Assert.Equal(["short"], terms.Where(t => Parse("sho").Accepts(t, terms)));
    }

    [Fact]
    public void A_term_the_product_no_longer_has_answers_nothing()
    {
        var renamed = SearchText.ProductTerms("Teapot", "tp-1");
        Assert.False(Parse("mug").Accepts("mug", renamed));
    }

    private static SearchQuery Parse(string text) => SearchQuery.TryParse(text, out _)!;
}
