using Arrakis.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Arrakis.Pretrained;

/// <summary>Moves weights between a checkpoint's tensors and a model's parameters through a layout's <see cref="TensorMap"/>s.</summary>
internal static class WeightTransfer
{
    /// <summary>
    /// Fills <paramref name="model"/>'s parameters from the checkpoint. Direct maps read the bytes straight into the
    /// parameter (converting when the dtypes differ); the others load one tensor at a time (in float32, or float64 for
    /// a float64 model, so that splitting and offsets round once) and copy its parts in.
    /// </summary>
    public static void Import(CheckpointFolder checkpoint, IReadOnlyList<(TensorMap Map, string Name)> tensors, HookedTransformer model,
        string layoutName)
    {
        var parameters = Parameters(model);
        CheckEveryMatrixIsCovered(parameters, tensors.Select(t => t.Map), layoutName);
        var work = model.Cfg.Dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;
        using var noGrad = no_grad();
        foreach (var (map, name) in tensors)
        {
            var targets = Targets(parameters, map, layoutName);
            if (map.IsDirect)
            {
                // Mapped (when the folder is): the parameter's storage becomes the file's pages; otherwise a copy.
                if (!checkpoint.TryMapInto(name, targets[0]))
                {
                    using var view = targets[0].view(map.Shape);
                    checkpoint.LoadInto(name, view);
                }
                if (map.TransposedCopy is { } tied)
                {
                    using var transposed = targets[0].t();
                    Parameter(parameters, tied, map, layoutName).copy_(transposed);
                }
                continue;
            }
            using var scope = NewDisposeScope();
            var loaded = checkpoint.Load(name, work);
            var parts = map.Split!(loaded);
            for (int i = 0; i < targets.Length; i++)
            {
                if (!parts[i].shape.SequenceEqual(targets[i].shape))
                    throw new InvalidOperationException(
                        $"Internal error in the {layoutName} layout: '{name}' splits into {TensorMap.ShapeText(parts[i].shape)} for '{map.Targets[i]}', which is {TensorMap.ShapeText(targets[i].shape)}.");
                targets[i].copy_(parts[i]);
            }
        }
    }

    /// <summary>The tensors to write for <paramref name="model"/>, each produced only when the writer reaches it.</summary>
    public static IEnumerable<SafetensorsWriter.PendingTensor> Export(HookedTransformer model, IReadOnlyList<TensorMap> maps, string layoutName)
    {
        var parameters = Parameters(model);
        foreach (var map in maps)
        {
            var targets = Targets(parameters, map, layoutName);
            yield return new SafetensorsWriter.PendingTensor(map.Name, targets[0].dtype, map.Shape, () =>
            {
                using var noGrad = no_grad();
                return map.IsDirect
                    ? targets[0].detach().reshape(map.Shape)
                    : map.Join!(targets.Select(t => t.detach()).ToArray());
            });
        }
    }

    private static Dictionary<string, Parameter> Parameters(HookedTransformer model) =>
        model.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);

    private static Parameter[] Targets(Dictionary<string, Parameter> parameters, TensorMap map, string layoutName) =>
        map.Targets.Select(t => Parameter(parameters, t, map, layoutName)).ToArray();

    private static Parameter Parameter(Dictionary<string, Parameter> parameters, string name, TensorMap map, string layoutName) =>
        parameters.TryGetValue(name, out var p) ? p
            : throw new InvalidOperationException($"Internal error in the {layoutName} layout: '{map.Name}' names a parameter '{name}' the model does not have.");

    /// <summary>A model built without initialisation has unset matrices: every W_* must be loaded.</summary>
    private static void CheckEveryMatrixIsCovered(Dictionary<string, Parameter> parameters, IEnumerable<TensorMap> maps, string layoutName)
    {
        var covered = maps.SelectMany(m => m.TransposedCopy is { } tied ? [.. m.Targets, tied] : m.Targets).ToHashSet(StringComparer.Ordinal);
        var unset = parameters.Keys.Where(n => n[(n.LastIndexOf('.') + 1)..].StartsWith("W_", StringComparison.Ordinal) && !covered.Contains(n)).ToList();
        if (unset.Count > 0)
            throw new InvalidOperationException($"Internal error in the {layoutName} layout: nothing loads {string.Join(", ", unset)}.");
    }
}
