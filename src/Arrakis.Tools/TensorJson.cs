using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tools;

/// <summary>
/// How a tensor in a result record is written to JSON. System.Text.Json cannot reflect over a TorchSharp tensor, so a
/// record keeps its <see cref="Tensor"/> property out of JSON (<c>[JsonIgnore]</c>) and writes this wrapper under the
/// same name instead; every result therefore serialises with a plain <see cref="JsonSerializer"/>.
/// </summary>
/// <param name="Tensor">The tensor to write.</param>
[JsonConverter(typeof(JsonTensorConverter))]
public readonly record struct JsonTensor(Tensor Tensor);

/// <summary>
/// Writes a <see cref="JsonTensor"/> as <c>{"dtype", "shape", "values"}</c> (values flattened in row-major order). When
/// the serializer options carry a tensor converter of their own (the experiment store's, which moves large tensors to
/// safetensors sidecars), that converter writes the tensor instead. Tensors are written, never read back.
/// </summary>
public sealed class JsonTensorConverter : JsonConverter<JsonTensor>
{
    /// <inheritdoc />
    public override JsonTensor Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("Result tensors are written as JSON and not read back as tensors.");

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, JsonTensor value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(options);
        var tensor = value.Tensor;
        foreach (var converter in options.Converters)
        {
            if (converter is JsonConverter<Tensor> own)
            {
                own.Write(writer, tensor, options);
                return;
            }
        }
        using var scope = NewDisposeScope();
        writer.WriteStartObject();
        writer.WriteString("dtype", tensor.dtype.ToString());
        writer.WriteStartArray("shape");
        foreach (long d in tensor.shape) writer.WriteNumberValue(d);
        writer.WriteEndArray();
        writer.WriteStartArray("values");
        foreach (double v in tensor.detach().cpu().reshape(-1).to_type(ScalarType.Float64).data<double>())
        {
            if (double.IsFinite(v)) writer.WriteNumberValue(v);
            else writer.WriteStringValue(v.ToString(CultureInfo.InvariantCulture));
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}
