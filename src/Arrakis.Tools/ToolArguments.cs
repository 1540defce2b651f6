using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tools;

/// <summary>
/// Argument checks shared by the built-in tools (and open to third-party ones): each failure names the argument, the
/// value it had and the valid range.
/// </summary>
public static class ToolArguments
{
    /// <summary>Token ids as int64 [batch, pos] (a [pos] vector becomes one sequence).</summary>
    /// <exception cref="ArgumentNullException">No ids.</exception>
    /// <exception cref="ArgumentException">Not integer ids, not 1 or 2 dimensions, or empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id outside [0, d_vocab), or more positions than n_ctx.</exception>
    public static Tensor Tokens(Tensor? inputIds, HookedTransformerConfig cfg, string argument = "inputIds")
    {
        ArgumentNullException.ThrowIfNull(cfg);
        if (inputIds is null)
            throw new ArgumentNullException(argument, $"{argument} is null; expected token ids [batch, pos] with ids in [0, {cfg.DVocab}).");
        if (inputIds.dtype is not (ScalarType.Int64 or ScalarType.Int32 or ScalarType.Int16 or ScalarType.Byte))
            throw new ArgumentException($"{argument} has dtype {inputIds.dtype}; expected integer token ids in [0, {cfg.DVocab}).", argument);
        var ids = inputIds.dim() == 1 ? inputIds.unsqueeze(0) : inputIds;
        if (ids.dim() != 2)
            throw new ArgumentException($"{argument} has shape [{Shape(inputIds)}]; expected token ids [batch, pos] or [pos].", argument);
        if (ids.numel() == 0)
            throw new ArgumentException($"{argument} is empty (shape [{Shape(inputIds)}]); expected at least one sequence of at least one token.", argument);
        if (cfg.PositionalEmbedding == PositionalEmbeddingType.Learned && ids.shape[1] > cfg.NCtx)
            throw new ArgumentOutOfRangeException(argument, ids.shape[1], $"{argument} has {ids.shape[1]} positions; this model's learned positions allow 1 to {cfg.NCtx} (n_ctx).");
        ids = ids.to(int64);
        long min = ids.min().item<long>(), max = ids.max().item<long>();
        if (min < 0 || max >= cfg.DVocab)
            throw new ArgumentOutOfRangeException(argument, min < 0 ? min : max, $"{argument} holds token id {(min < 0 ? min : max)}; ids must lie in [0, {cfg.DVocab}) (d_vocab).");
        return ids;
    }

    /// <summary>A block index in [0, n_layers).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside [0, n_layers).</exception>
    public static int Layer(int layer, HookedTransformerConfig cfg, string argument = "layerIdx")
    {
        ArgumentNullException.ThrowIfNull(cfg);
        if (layer < 0 || layer >= cfg.NLayers)
            throw new ArgumentOutOfRangeException(argument, layer, $"{argument} is {layer}; expected a layer in [0, {cfg.NLayers}) (this model has {cfg.NLayers} layers).");
        return layer;
    }

    /// <summary>A head that exists: layer in [0, n_layers), head in [0, n_heads).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Layer or head out of range.</exception>
    public static HeadIndex Head(HeadIndex head, HookedTransformerConfig cfg, string argument)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        if (head.Layer < 0 || head.Layer >= cfg.NLayers || head.Head < 0 || head.Head >= cfg.NHeads)
            throw new ArgumentOutOfRangeException(argument, head,
                $"{argument} is {head} (layer {head.Layer}, head {head.Head}); expected a layer in [0, {cfg.NLayers}) and a head in [0, {cfg.NHeads}).");
        return head;
    }

    /// <summary>A writer → reader pair that can compose: both heads exist and the reader sits in a later layer.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A head out of range.</exception>
    /// <exception cref="ArgumentException">The reader is not in a later layer than the writer.</exception>
    public static void ComposablePair(HeadIndex writer, HeadIndex reader, HookedTransformerConfig cfg, string writerArgument = "head1", string readerArgument = "head2")
    {
        Head(writer, cfg, writerArgument);
        Head(reader, cfg, readerArgument);
        if (reader.Layer <= writer.Layer)
            throw new ArgumentException(
                $"{writerArgument} {writer} cannot compose into {readerArgument} {reader}: the reader ({readerArgument}) must be in a later layer than the writer " +
                $"({writerArgument}) — a head only reads what earlier layers wrote — " +
                (writer.Layer + 1 < cfg.NLayers
                    ? $"i.e. {readerArgument}.Layer in [{writer.Layer + 1}, {cfg.NLayers})."
                    : $"and {writer} is in the last layer ({writer.Layer}), so no head reads its output."),
                readerArgument);
    }

    /// <summary>A position in [−pos, pos), resolved to [0, pos).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside [−pos, pos).</exception>
    public static int Position(int position, long positions, string argument = "position")
    {
        long resolved = position < 0 ? position + positions : position;
        if (resolved < 0 || resolved >= positions)
            throw new ArgumentOutOfRangeException(argument, position, $"{argument} is {position}; expected a position in [{-positions}, {positions}) for {positions} input positions.");
        return (int)resolved;
    }

    /// <summary>A sequence index in [0, batch).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside [0, batch).</exception>
    public static int BatchIndex(int batchIndex, long batch, string argument = "batchIndex")
    {
        if (batchIndex < 0 || batchIndex >= batch)
            throw new ArgumentOutOfRangeException(argument, batchIndex, $"{argument} is {batchIndex}; expected a sequence in [0, {batch}).");
        return batchIndex;
    }

    /// <summary>A vocabulary id in [0, d_vocab).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside [0, d_vocab).</exception>
    public static long Token(long token, HookedTransformerConfig cfg, string argument)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        if (token < 0 || token >= cfg.DVocab)
            throw new ArgumentOutOfRangeException(argument, token, $"{argument} is {token}; expected a vocabulary id in [0, {cfg.DVocab}) (d_vocab).");
        return token;
    }

    /// <summary>A count of at least 1.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public static int AtLeastOne(int count, string argument, string? upperNote = null)
    {
        if (count < 1)
            throw new ArgumentOutOfRangeException(argument, count, $"{argument} is {count}; expected at least 1{upperNote}.");
        return count;
    }

    /// <summary>The error a tool's prototype (the registry's unbound instance) throws when it is used without a model.</summary>
    public static InvalidOperationException NotBound(string tool) => new(
        $"The '{tool}' tool is not bound to a model. Get it through a bench (bench.Tools.Get<…>(\"{tool}\") and [UseTools] bind it to " +
        $"bench.Model) or bind it yourself: ((IModelTool)registry.Get(\"{tool}\")).WithModel(model).");

    private static string Shape(Tensor t) => string.Join(", ", t.shape);
}
