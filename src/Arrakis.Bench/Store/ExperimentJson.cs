using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Arrakis.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Bench;

/// <summary>
/// How experiment arguments and results become JSON in the store.
/// <list type="bullet">
/// <item>Ordinary values: System.Text.Json (public fields included, so tuples keep their items; NaN/∞ as strings).</item>
/// <item>Tensors: <c>{"$tensor": {"dtype", "shape", "values"}}</c> with the values flattened in row-major order; a
/// tensor of more than <see cref="InlineTensorLimit"/> elements goes to a safetensors sidecar beside the runs
/// (<c>tensors/{runId}-{n}.safetensors</c>, one tensor named <c>tensor</c>, in its own dtype) and the record names
/// it as <c>"sidecar"</c> with <c>"format": "safetensors"</c>.</item>
/// <item>A value System.Text.Json cannot serialise: <c>{"$unserialisable": {"type", "toString"}}</c>, with a warning;
/// the run is never dropped.</item>
/// </list>
/// </summary>
public static class ExperimentJson
{
    /// <summary>Tensors with more elements than this are written to a sidecar file instead of inline.</summary>
    public const int InlineTensorLimit = 4096;

    /// <summary>The options records are written and read with.</summary>
    public static JsonSerializerOptions RecordOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        WriteIndented = false,
    };

    /// <summary>Encodes <paramref name="value"/>; problems are added to <paramref name="warnings"/>, naming <paramref name="what"/>.</summary>
    /// <param name="value">The value to encode.</param>
    /// <param name="what">How warnings name the value, e.g. <c>argument 'inputIds'</c>.</param>
    /// <param name="sidecars">Where large tensors go; null to record only their shape and dtype.</param>
    /// <param name="warnings">Collects what could not be recorded faithfully.</param>
    internal static JsonNode? Encode(object? value, string what, TensorSidecars? sidecars, List<string> warnings)
    {
        if (value is null) return null;
        TensorSidecars? outer = TensorConverter.Sidecars;
        TensorConverter.Sidecars = sidecars;
        try
        {
            return JsonSerializer.SerializeToNode(value, value.GetType(), ValueOptions);
        }
        catch (Exception ex) when (ex is NotSupportedException or JsonException or InvalidOperationException or ArgumentException or ObjectDisposedException)
        {
            string type = value.GetType().FullName ?? value.GetType().Name;
            warnings.Add($"{what} of type {type} could not be serialised ({ex.GetType().Name}: {ex.Message}); recorded as its type and ToString()");
            string text;
            try { text = value.ToString() ?? ""; }
            catch (Exception toStringError) { text = $"<ToString() threw {toStringError.GetType().Name}>"; }
            return new JsonObject { ["$unserialisable"] = new JsonObject { ["type"] = type, ["toString"] = text } };
        }
        finally
        {
            TensorConverter.Sidecars = outer;
        }
    }

    /// <summary>Options for values: the record options plus public fields and the tensor converter (built once: reflection metadata is cached per instance).</summary>
    private static readonly JsonSerializerOptions ValueOptions = new(RecordOptions)
    {
        IncludeFields = true,
        Converters = { new TensorConverter() },
    };

    private sealed class TensorConverter : JsonConverter<Tensor>
    {
        /// <summary>Where the value being encoded on this thread puts its large tensors (serialisation is synchronous).</summary>
        [ThreadStatic]
        internal static TensorSidecars? Sidecars;

        public override bool CanConvert(Type typeToConvert) => typeof(Tensor).IsAssignableFrom(typeToConvert);

        public override Tensor Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            throw new NotSupportedException("Tensors are read back as JSON, not as tensors.");

        public override void Write(Utf8JsonWriter writer, Tensor tensor, JsonSerializerOptions options)
        {
            writer.WriteStartObject();
            writer.WritePropertyName("$tensor");
            writer.WriteStartObject();
            writer.WriteString("dtype", tensor.dtype.ToString());
            writer.WritePropertyName("shape");
            writer.WriteStartArray();
            foreach (long d in tensor.shape) writer.WriteNumberValue(d);
            writer.WriteEndArray();
            long count = tensor.numel();
            if (count <= InlineTensorLimit)
            {
                writer.WritePropertyName("values");
                WriteValues(writer, tensor);
            }
            else if (Sidecars is TensorSidecars sidecars)
            {
                writer.WriteString("sidecar", sidecars.Write(tensor));
                writer.WriteString("format", "safetensors");
            }
            else
            {
                writer.WriteNull("values");
            }
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        private static void WriteValues(Utf8JsonWriter writer, Tensor tensor)
        {
            using var scope = NewDisposeScope();
            Tensor flat = tensor.detach().cpu().reshape(-1);
            writer.WriteStartArray();
            if (tensor.dtype == ScalarType.Bool)
            {
                foreach (bool b in flat.data<bool>()) writer.WriteBooleanValue(b);
            }
            else if (torch.is_floating_point(tensor))
            {
                foreach (double v in flat.to_type(ScalarType.Float64).data<double>())
                {
                    if (double.IsFinite(v)) writer.WriteNumberValue(v);
                    else writer.WriteStringValue(v.ToString(CultureInfo.InvariantCulture));
                }
            }
            else if (torch.is_complex(tensor))
            {
                throw new NotSupportedException("Complex tensors are not recorded.");
            }
            else
            {
                foreach (long v in flat.to_type(ScalarType.Int64).data<long>()) writer.WriteNumberValue(v);
            }
            writer.WriteEndArray();
        }
    }
}

/// <summary>Writes the large tensors of one run to safetensors sidecar files (one tensor, named <c>tensor</c>, per file).</summary>
/// <param name="experimentDirectory">The experiment's folder; sidecars go to its <c>tensors/</c> subfolder.</param>
/// <param name="runId">The run the sidecars belong to (unique, so no sidecar is ever overwritten).</param>
internal sealed class TensorSidecars(string experimentDirectory, string runId)
{
    /// <summary>The tensor's name inside each sidecar.</summary>
    public const string TensorName = "tensor";

    private int _count;

    /// <summary>Writes <paramref name="tensor"/> (atomically) and returns its path relative to the experiment folder.</summary>
    public string Write(Tensor tensor)
    {
        string relative = $"tensors/{runId}-{Interlocked.Increment(ref _count)}.safetensors";
        string path = Path.Combine(experimentDirectory, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var scope = NewDisposeScope();
        SafetensorsWriter.Save(path, [new KeyValuePair<string, Tensor>(TensorName, tensor.detach())]);
        return relative;
    }
}
