using Arrakis.Tokenizers;
using TorchSharp;

namespace Arrakis.Scripting.Models;

/// <summary>A model the CLI can load by name.</summary>
/// <param name="Name">What <c>--model</c> takes.</param>
/// <param name="Description">One line for listings.</param>
/// <param name="Card">The model card (markdown), or null.</param>
/// <param name="Load">Builds or loads it on a device, in a dtype.</param>
/// <param name="LoadTokenizer">Its tokenizer, or null when it has none.</param>
public sealed record ModelEntry(string Name, string Description, string? Card, Func<DeviceChoice, torch.ScalarType, HookedTransformer> Load,
    Func<ArrakisTokenizer?>? LoadTokenizer = null);

/// <summary>A resolved <c>--model</c>: the name shown, and how to load the model and (when not the model's own) its tokenizer.</summary>
public sealed record ModelSource(string Name, Func<HookedTransformer> Load, Func<ArrakisTokenizer?>? LoadTokenizer);

/// <summary>
/// The models <c>--model NAME|DIR</c> knows: the built-in <c>hand-built-induction</c> (an induction circuit whose weights
/// are set by hand: the ground truth to check a tool against) and <c>random-FAMILY</c> (a randomly
/// initialised <see cref="HookedAutoConfig"/> model of each family), then every name a registered model zoo knows
/// (<see cref="ModelZoo"/>), then any model folder <see cref="HookedTransformer.FromPretrained"/> reads.
/// </summary>
public static class ModelCatalog
{
    /// <summary>The default model: the zoo's trained two-layer attention-only model (shipped in Arrakis.Core).</summary>
    public const string PreferredDefault = "attn-only-2l";

    /// <summary>
    /// The model scripts get when no <c>--model</c> is given: the zoo's <c>attn-only-2l</c> when a registered zoo knows
    /// it (the embedded zoo always does), otherwise the built-in <c>hand-built-induction</c>.
    /// </summary>
    public static string DefaultModel =>
        ModelZoo.KnownNames.Contains(PreferredDefault, StringComparer.OrdinalIgnoreCase) ? PreferredDefault : HandBuiltInduction.Name;

    /// <summary>
    /// Every listed model: the built-in ones, then each model zoo name, whose card is the <c>README.md</c> of its folder
    /// (the zoo extracts the folder when a card is asked for).
    /// </summary>
    public static IReadOnlyList<ModelEntry> All =>
        Entries.Concat(ModelZoo.KnownNames.Where(n => !Entries.Any(e => string.Equals(e.Name, n, StringComparison.OrdinalIgnoreCase)))
            .Select(ZooEntry)).ToList();

    private static ModelEntry ZooEntry(string name)
    {
        string? card = ModelZoo.TryResolve(name) is string folder && File.Exists(Path.Combine(folder, "README.md"))
            ? File.ReadAllText(Path.Combine(folder, "README.md"))
            : null;
        string description = card?.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0 && !l.StartsWith('#')) ?? "model zoo";
        return new ModelEntry(name, description, card, (device, dtype) => HookedTransformer.FromPretrained(name, new PretrainedOptions { Device = device, Dtype = dtype }));
    }

    /// <summary>The built-in models (see <see cref="All"/> for the zoo's too).</summary>
    public static IReadOnlyList<ModelEntry> Entries { get; } = BuildEntries();


    private static List<ModelEntry> BuildEntries()
    {
        var entries = new List<ModelEntry>
        {
            new(HandBuiltInduction.Name,
                "2-layer attention-only model with a hand-set induction circuit (ground truth by construction)",
                """
                # hand-built-induction
                An induction circuit whose weights are set by hand, not trained: the answer is known, so a tool can be checked against it
                (the trained counterpart is the zoo's `attn-only-2l`).
                - 2 layers, attention only, 2 heads per layer, d_model 44, d_head 16, vocabulary 8, context 16, no layer norm.
                - Circuit (ground truth by construction): L0H0 is a previous-token head; L1H0 is an induction head whose key reads
                  L0H0's output (K-composition); L0H1 and L1H1 attend uniformly and write to unused dimensions.
                - Task: sequences of a random permutation of the 8 tokens, repeated; the second half is predicted exactly.
                """,
                (device, dtype) => HandBuiltInduction.Create(device, dtype)),
        };
        foreach (string family in HookedAutoConfig.Families)
        {
            entries.Add(new($"random-{family}", $"randomly initialised {family} twin (HookedAutoConfig, seed 0)", null,
                (device, dtype) => new HookedAutoModel(HookedAutoConfig.Create(family, seed: 0) with { Device = device, Dtype = dtype })));
        }
        return entries;
    }

    /// <summary>The names, in listing order: the built-in ones, then the model zoo's (<see cref="ModelZoo"/>).</summary>
    public static IReadOnlyList<string> Names => Entries.Select(e => e.Name).Concat(ModelZoo.KnownNames).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>Resolves <c>--model</c>: a built-in name, a model zoo name, or a model folder (<see cref="HookedTransformer.FromPretrained"/>).</summary>
    /// <param name="nameOrFolder">The name or folder; <c>null</c> for <see cref="DefaultModel"/>.</param>
    /// <param name="device">Where the model is loaded (straight there for zoo models and folders).</param>
    /// <param name="dtype">Its parameters' dtype (<c>--dtype</c>); float32 by default.</param>
    /// <exception cref="ArgumentException">None of these; the message lists the names.</exception>
    public static ModelSource Resolve(string? nameOrFolder, DeviceChoice device, torch.ScalarType dtype = torch.ScalarType.Float32)
    {
        string name = string.IsNullOrWhiteSpace(nameOrFolder) ? DefaultModel : nameOrFolder.Trim();
        if (Entries.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase)) is ModelEntry entry)
        {
            return new ModelSource(entry.Name, () => entry.Load(device, dtype), entry.LoadTokenizer);
        }
        if (ModelZoo.TryResolve(name) is not null || Directory.Exists(name))
        {
            string shown = Directory.Exists(name) && ModelZoo.TryResolve(name) is null ? Path.GetFileName(Path.GetFullPath(name)) : name;
            return new ModelSource(shown, () => HookedTransformer.FromPretrained(name, new PretrainedOptions { Device = device, Dtype = dtype }), null);
        }
        if (File.Exists(name))
            throw new ArgumentException($"'{name}' is a file; --model takes a model name or a model folder (config.json + model.safetensors). Known models: {string.Join(", ", Names)}.");
        throw new ArgumentException($"Unknown model '{name}': not a model name nor a folder. Known models: {string.Join(", ", Names)}.");
    }
}
