using static TorchSharp.torch;

namespace Arrakis.Benchmarks;

/// <summary>
/// The patching benchmarks' input: a zoo model with clean and corrupted prompts and a per-row metric.
/// gpt2-mini-language: 16 IOI prompts ("When A and B went to the P, S gave a O to"), corrupted by naming the other person
/// as the subject (the answer flips), metric logit(IO) − logit(S). attn-only-2l: 8 random sequences of 2 × 16 words
/// repeated, corrupted by a fresh second half, metric the logit of the correct next token over the second half.
/// </summary>
internal sealed class PatchingWorkload : IDisposable
{
    private PatchingWorkload(HookedTransformer model, Tensor clean, Tensor corrupted, Func<Tensor, Tensor> metric)
    {
        Model = model;
        Clean = clean;
        Corrupted = corrupted;
        Metric = metric;
    }

    public HookedTransformer Model { get; }
    public Tensor Clean { get; }
    public Tensor Corrupted { get; }
    public Func<Tensor, Tensor> Metric { get; }

    public static PatchingWorkload Create(string modelName)
    {
        var model = HookedTransformer.FromPretrained(modelName);
        return modelName == "attn-only-2l" ? Induction(model) : Ioi(model);
    }

    private static PatchingWorkload Ioi(HookedTransformer model)
    {
        string[] names = ["Mary", "John", "Alice", "Bob", "Tom", "Anna", "James", "Sarah"];
        var random = new Random(0);
        var (clean, corrupted, io, s) = (new List<string>(), new List<string>(), new List<long>(), new List<long>());
        while (clean.Count < 16)
        {
            string a = names[random.Next(names.Length)], b = names[random.Next(names.Length)];
            if (a == b) continue;
            string subject = clean.Count % 2 == 0 ? a : b, other = subject == a ? b : a;
            clean.Add($"When {a} and {b} went to the store, {subject} gave a drink to");
            corrupted.Add($"When {a} and {b} went to the store, {other} gave a drink to");
            io.Add(model.ToSingleToken(other));
            s.Add(model.ToSingleToken(subject));
        }
        var ioIds = tensor(io.ToArray(), device: model.Device).unsqueeze(1).DetachFromDisposeScope();
        var sIds = tensor(s.ToArray(), device: model.Device).unsqueeze(1).DetachFromDisposeScope();
        return new PatchingWorkload(model, model.ToTokens(clean).DetachFromDisposeScope(), model.ToTokens(corrupted).DetachFromDisposeScope(),
            logits => (logits[.., -1].gather(-1, ioIds) - logits[.., -1].gather(-1, sIds)).squeeze(1));
    }

    private static PatchingWorkload Induction(HookedTransformer model)
    {
        var generator = new Generator(0);
        var first = randint(1, model.Cfg.DVocab, [8, 16], generator: generator);
        var second = randint(1, model.Cfg.DVocab, [8, 16], generator: generator);
        var clean = cat([first, first], 1).to(model.Device).DetachFromDisposeScope();
        var corrupted = cat([first, second], 1).to(model.Device).DetachFromDisposeScope();
        var targets = clean[.., 17..].unsqueeze(-1).DetachFromDisposeScope();
        return new PatchingWorkload(model, clean, corrupted, logits => logits[.., 16..^1].gather(-1, targets).squeeze(-1).mean([1L]));
    }

    public void Dispose()
    {
        Model.Dispose();
        Clean.Dispose();
        Corrupted.Dispose();
    }
}
