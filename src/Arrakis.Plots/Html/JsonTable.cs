using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Arrakis.Plots;

/// <summary>A stored JSON value as HTML tables: objects as key → value rows (nested), arrays of numbers inline (shortened), tensors by shape.</summary>
public static class JsonTable
{
    /// <summary>How many array items are shown before "… N more".</summary>
    public const int MaxItems = 64;

    /// <summary>The HTML of <paramref name="node"/>.</summary>
    public static string Render(JsonNode? node) => Render(node, 0);

    private static string Render(JsonNode? node, int depth)
    {
        switch (node)
        {
            case null:
                return "<code>null</code>";
            case JsonObject t when t["$tensor"] is JsonObject tensor:
                string shape = tensor["shape"] is JsonArray s ? string.Join(", ", s.Select(x => x?.ToJsonString())) : "?";
                string where = tensor["sidecar"] is JsonNode side ? $", stored in {side}" : "";
                return E($"tensor [{shape}] {tensor["dtype"]}{where}");
            case JsonObject o when depth < 4:
                var html = new StringBuilder("<table class=\"kv\">");
                foreach (var (key, value) in o) html.Append($"<tr><th>{E(key)}</th><td{(value is JsonValue v && IsNumber(v) ? " class=\"num\"" : "")}>{Render(value, depth + 1)}</td></tr>");
                return html.Append("</table>").ToString();
            case JsonArray a when a.All(x => x is JsonValue):
                string items = string.Join(", ", a.Take(MaxItems).Select(x => Scalar((JsonValue)x!)));
                return E($"[{items}{(a.Count > MaxItems ? $", … {a.Count - MaxItems} more" : "")}]");
            case JsonArray a when depth < 4:
                var list = new StringBuilder("<ol class=\"items\" start=\"0\">");
                foreach (var item in a.Take(MaxItems)) list.Append("<li>").Append(Render(item, depth + 1)).Append("</li>");
                if (a.Count > MaxItems) list.Append(E($"… {a.Count - MaxItems} more"));
                return list.Append("</ol>").ToString();
            case JsonValue v:
                return E(Scalar(v));
            default:
                string text = node.ToJsonString();
                return $"<code>{E(text.Length > 2000 ? text[..2000] + "…" : text)}</code>";
        }
    }

    private static bool IsNumber(JsonValue v) => v.TryGetValue(out double _);

    private static string Scalar(JsonValue v)
    {
        if (v.TryGetValue(out double d)) return d == Math.Round(d) && Math.Abs(d) < 1e15 ? d.ToString("0", System.Globalization.CultureInfo.InvariantCulture) : d.ToString("G6", System.Globalization.CultureInfo.InvariantCulture);
        if (v.TryGetValue(out string? s)) return s.Length > 500 ? s[..500] + "…" : s;
        return v.ToJsonString();
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
