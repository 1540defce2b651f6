using System.Globalization;
using System.Text;

namespace Arrakis.Tools;

/// <summary>Plain-text tables for the results' <c>ToString()</c>: a title, then aligned columns (text left, numbers right).</summary>
internal sealed class Table
{
    private readonly string[] _headers;
    private readonly bool[] _numeric;
    private readonly List<string[]> _rows = [];

    /// <summary>Columns by header; a header starting with '#' is right-aligned (numeric) and printed without the '#'.</summary>
    public Table(params string[] headers)
    {
        _numeric = headers.Select(h => h.StartsWith('#')).ToArray();
        _headers = headers.Select(h => h.TrimStart('#')).ToArray();
    }

    /// <summary>Adds a row: strings as they are, numbers through <see cref="Number"/>.</summary>
    public Table Row(params object?[] cells)
    {
        _rows.Add(cells.Select(c => c switch
        {
            null => "",
            double d => Number(d),
            float f => Number(f),
            string s => s,
            IFormattable x => x.ToString(null, CultureInfo.InvariantCulture),
            _ => c.ToString() ?? "",
        }).ToArray());
        return this;
    }

    /// <summary>A number in at most 4 significant decimals, invariant culture: 12.3457, 0.0012, 1.23e-07, −3.5.</summary>
    public static string Number(double value)
    {
        if (double.IsNaN(value)) return "NaN";
        if (double.IsInfinity(value)) return value > 0 ? "∞" : "−∞";
        if (value == 0) return "0";
        double magnitude = Math.Abs(value);
        return magnitude is >= 1e-3 and < 1e6
            ? value.ToString("0.####", CultureInfo.InvariantCulture)
            : value.ToString("0.###e+0", CultureInfo.InvariantCulture);
    }

    /// <summary>A fraction as a percentage, e.g. 0.8731 → 87.3%.</summary>
    public static string Percent(double value) =>
        double.IsFinite(value) ? (100 * value).ToString("0.0", CultureInfo.InvariantCulture) + "%" : Number(value);

    /// <summary>The table under <paramref name="title"/>, each line indented by two spaces.</summary>
    public string Render(string? title = null)
    {
        var widths = _headers.Select((h, i) => Math.Max(h.Length, _rows.Count == 0 ? 0 : _rows.Max(r => i < r.Length ? r[i].Length : 0))).ToArray();
        var text = new StringBuilder();
        if (title is not null) text.AppendLine(title);
        void Line(string[] cells)
        {
            var line = new StringBuilder("  ");
            for (int i = 0; i < widths.Length; i++)
            {
                string cell = i < cells.Length ? cells[i] : "";
                line.Append(_numeric[i] ? cell.PadLeft(widths[i]) : cell.PadRight(widths[i]));
                if (i < widths.Length - 1) line.Append("  ");
            }
            text.AppendLine(line.ToString().TrimEnd());
        }
        Line(_headers);
        foreach (var row in _rows) Line(row);
        return text.ToString();
    }
}
