using System.Globalization;
using System.Text;

namespace Inventory.Api.Domain;

/// <summary>
/// CSV lines as RFC 4180 writes them (CRLF, a cell quoted when it holds a comma, a quote or a line break, quotes
/// doubled). A text cell that a spreadsheet would run as a formula (it begins with =, +, -, @, a tab or a carriage
/// return) is written with a leading apostrophe, which spreadsheets show as text; numbers are written as numbers, so
/// a negative quantity stays a number.
/// </summary>
public static class Csv
{
    public static string Line(params object?[] cells)
    {
        var line = new StringBuilder();
        for (var i = 0; i < cells.Length; i++)
        {
            if (i > 0)
            {
                line.Append(',');
            }

            line.Append(cells[i] switch
            {
                null => "",
                long n => n.ToString(CultureInfo.InvariantCulture),
                int n => n.ToString(CultureInfo.InvariantCulture),
                DateTimeOffset t => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
                var other => Text(Convert.ToString(other, CultureInfo.InvariantCulture) ?? ""),
            });
        }

        return line.Append("\r\n").ToString();
    }

    /// <summary>One text cell, defused and quoted as needed.</summary>
    public static string Text(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 || (value.Length > 0 && (value[0] == ' ' || value[^1] == ' '))
            ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
            : value;
    }
}
