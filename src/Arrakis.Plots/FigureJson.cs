using System.Text.Json;
using System.Text.Json.Serialization;

namespace Arrakis.Plots;

/// <summary>Figures as JSON (the files stored with a run, the data embedded in the HTML report).</summary>
public static class FigureJson
{
    /// <summary>camelCase, NaN and infinities as named numbers, <c>kind</c> naming the figure type.</summary>
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The figure as JSON.</summary>
    public static string Serialize(Figure figure) => JsonSerializer.Serialize(figure, Options);

    /// <summary>A figure from JSON.</summary>
    /// <exception cref="JsonException">Not a figure.</exception>
    public static Figure Deserialize(string json) => JsonSerializer.Deserialize<Figure>(json, Options) ?? throw new JsonException("The file holds null, not a figure.");
}
