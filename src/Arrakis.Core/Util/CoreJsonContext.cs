using System.Text.Json.Serialization;

namespace Arrakis.Util;

/// <summary>
/// Source-generated System.Text.Json metadata for what Arrakis.Core reads and writes outside the native model config
/// (<see cref="NativeConfigJsonContext"/>): GPT-2 vocabularies and <c>config.json</c> objects. Generated code instead of
/// reflection keeps reading configs and tokenizers working in a trimmed, self-contained publish.
/// </summary>
[JsonSerializable(typeof(Dictionary<string, int>))]
[JsonSerializable(typeof(System.Text.Json.Nodes.JsonObject))]
internal sealed partial class CoreJsonContext : JsonSerializerContext;
