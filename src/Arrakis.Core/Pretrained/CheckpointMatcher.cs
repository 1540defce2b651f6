using Arrakis.Checkpoints;
using TorchSharp;

namespace Arrakis.Pretrained;

/// <summary>
/// Checks a checkpoint's tensors against a layout before anything is loaded: every tensor the layout needs is there
/// (under its name with or without the family's base prefix), nothing else is (bar ignorable buffers), and each has
/// the shape the config implies and a floating-point type.
/// </summary>
internal static class CheckpointMatcher
{
    private const int MaxListed = 10;

    /// <summary>Each map with the name its tensor has in <paramref name="checkpoint"/>.</summary>
    /// <exception cref="CheckpointFormatException">Missing or unexpected tensors (all named), or a wrong shape or dtype.</exception>
    public static List<(TensorMap Map, string Name)> Match(CheckpointFolder checkpoint, CheckpointLayout layout, HfLayout spec,
        IReadOnlyList<TensorMap> maps)
    {
        var resolved = new List<(TensorMap, string)>(maps.Count);
        var missing = new List<string>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var map in maps)
        {
            string? actual = checkpoint.Contains(map.Name) ? map.Name
                : layout.StripPrefix(map.Name) is var bare && bare != map.Name && checkpoint.Contains(bare) ? bare
                : null;
            if (actual is null)
            {
                missing.Add(map.Name);
                continue;
            }
            resolved.Add((map, actual));
            used.Add(actual);
        }
        var unexpected = checkpoint.TensorNames.Where(n => !used.Contains(n) && !layout.IsIgnorable(n, spec)).ToList();
        if (missing.Count > 0 || unexpected.Count > 0)
        {
            var parts = new List<string>();
            // Name missing tensors the way the checkpoint names its others (a bare base model's lack the prefix).
            bool bare = resolved.Count > 0 && resolved.All(r => r.Item1.Name != r.Item2 || layout.StripPrefix(r.Item1.Name) == r.Item1.Name);
            if (missing.Count > 0)
                parts.Add($"missing {Count(missing.Count)}: {List(bare ? missing.Select(layout.StripPrefix).ToList() : missing)}");
            if (unexpected.Count > 0)
                parts.Add($"unexpected {Count(unexpected.Count)}: {List(unexpected)}");
            throw new CheckpointFormatException(checkpoint.Directory, null,
                $"the tensors do not match the {layout.ModelType} layout that config.json describes ({spec.Cfg.NLayers} layers): {string.Join("; ", parts)}");
        }

        foreach (var (map, name) in resolved)
        {
            var info = checkpoint.GetInfo(name);
            if (!info.Shape.SequenceEqual(map.Shape))
                throw new CheckpointFormatException(FileOf(checkpoint, name), name,
                    $"shape {TensorMap.ShapeText(info.Shape)} does not match config.json, which implies {TensorMap.ShapeText(map.Shape)} for the {layout.ModelType} layout");
            if (info.ScalarType is not (torch.ScalarType.Float32 or torch.ScalarType.Float16 or torch.ScalarType.BFloat16 or torch.ScalarType.Float64))
                throw new CheckpointFormatException(FileOf(checkpoint, name), name,
                    $"dtype {info.Dtype} is not a floating-point type; weights must be F32, F16, BF16 or F64");
        }
        return resolved;
    }

    private static string FileOf(CheckpointFolder checkpoint, string name) =>
        checkpoint.Files.FirstOrDefault(f => f.Contains(name))?.Path ?? checkpoint.Directory;

    private static string Count(int n) => n == 1 ? "1 tensor" : $"{n} tensors";

    private static string List(List<string> names) =>
        string.Join(", ", names.Take(MaxListed).Select(n => CheckpointFormatException.Shorten(n)))
        + (names.Count > MaxListed ? $", … and {names.Count - MaxListed} more" : "");
}
