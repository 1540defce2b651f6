using System.Text.Json.Serialization;

namespace Arrakis.Util;

/// <summary>
/// Source-generated metadata for <c>arrakis_config</c>, the <see cref="HookedTransformerConfig"/> inside a native-layout
/// <c>config.json</c> (the zoo's models): snake_case names, enums as strings, unknown members refused.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(HookedTransformerConfig))]
internal sealed partial class NativeConfigJsonContext : JsonSerializerContext;
