using Arrakis.Components;
using Arrakis.Hooks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Arrakis;

/// <summary>
/// A transformer in which every intermediate activation flows through a named <see cref="HookPoint"/>
/// (TransformerLens <c>HookedTransformer</c>): read it (<see cref="RunWithCache(Tensor, Func{string, bool}?, Device?, bool, bool, Func{Tensor, Tensor}?, Tensor?)"/>),
/// change it (<see cref="RunWithHooks"/>), or differentiate through it. Hook names and tensor shapes are TransformerLens's.
/// </summary>
/// <example><code>
/// using var model = HookedTransformer.FromConfig(HookedAutoConfig.Create("llama"));
/// var tokens = torch.randint(0, model.Cfg.DVocab, [1, 50]);
/// var (logits, cache) = model.RunWithCache(tokens);
/// using (cache) Console.WriteLine(cache["blocks.0.attn.hook_pattern"].shape); // [1, n_heads, 50, 50]
/// </code></example>
public partial class HookedTransformer : nn.Module<Tensor, Tensor>
{
    /// <summary><c>embed</c>: token embedding.</summary>
    public Embed embed;
    /// <summary><c>hook_embed</c> [batch, pos, d_model].</summary>
    public HookPoint hook_embed = new();
    /// <summary><c>pos_embed</c>: learned positions (present when positions are learned).</summary>
    public PosEmbed? pos_embed;
    /// <summary><c>hook_pos_embed</c> [batch, pos, d_model] (learned positions only).</summary>
    public HookPoint hook_pos_embed = new();
    /// <summary><c>blocks</c>: the residual blocks.</summary>
    public ModuleList<TransformerBlock> blocks;
    /// <summary><c>ln_final</c>: the normalisation before the unembedding.</summary>
    public NormLayer ln_final;
    /// <summary><c>unembed</c>.</summary>
    public Unembed unembed;

    private HookOptions _options = new();
    private IReadOnlyList<HookPoint> _activeHookPoints = [];
    private Dictionary<string, HookPoint> _hookPointsByName = new(StringComparer.Ordinal);

    /// <summary>Builds a randomly initialised model (deterministic for <see cref="HookedTransformerConfig.Seed"/>).</summary>
    /// <exception cref="ArgumentException">The configuration is invalid (see <see cref="HookedTransformerConfig.Validate"/>).</exception>
    public HookedTransformer(HookedTransformerConfig config, HookOptions? options = null) : this(config, options, initialize: true)
    {
    }

    /// <summary>
    /// Builds the model; without <paramref name="initialize"/> the <c>W_*</c> parameters are left unset (biases 0, norm
    /// weights 1), for a loader that overwrites every one of them.
    /// </summary>
    internal HookedTransformer(HookedTransformerConfig config, HookOptions? options, bool initialize) : base(nameof(HookedTransformer))
    {
        Native.TorchNative.Ensure();
        Cfg = (config ?? throw new ArgumentNullException(nameof(config))).Validate();
        embed = new Embed(Cfg);
        if (Cfg.PositionalEmbedding == PositionalEmbeddingType.Learned)
            pos_embed = new PosEmbed(Cfg);
        blocks = new ModuleList<TransformerBlock>(Enumerable.Range(0, Cfg.NLayers).Select(l => new TransformerBlock(Cfg, l)).ToArray());
        ln_final = new NormLayer(Cfg.Normalization, Cfg.DModel, Cfg.Eps, Cfg.Dtype);
        unembed = new Unembed(Cfg);
        RegisterComponents();
        NameHookPoints();
        if (initialize)
            WeightInitialization.Initialize(this);
        var device = DeviceResolver.Resolve(Cfg.Device);
        if (device.type != DeviceType.CPU)
            this.to(device);
        Device = device;
        eval();
        SetHookOptions(options ?? new HookOptions());
    }

    /// <summary>Builds a randomly initialised model from a configuration (TL <c>HookedTransformer(cfg)</c>).</summary>
    public static HookedTransformer FromConfig(HookedTransformerConfig config, HookOptions? options = null) => new(config, options);

    /// <summary>The architecture (TL <c>model.cfg</c>).</summary>
    public HookedTransformerConfig Cfg { get; private set; }

    /// <summary>The device the parameters live on.</summary>
    public Device Device { get; private set; }

    /// <summary>The opt-in hook points in force.</summary>
    public HookOptions Options => _options;

    /// <summary>
    /// Changes the opt-in hook points (TL <c>set_use_attn_result</c> and friends).
    /// </summary>
    /// <exception cref="InvalidOperationException">A hook is attached to a point the new options would remove.</exception>
    public void SetHookOptions(HookOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var previous = _options;
        _options = options;
        var active = ListActiveHookPoints();
        var stranded = _activeHookPoints.Except(active).Where(h => h.HasHooks).Select(h => h.Name).ToList();
        if (stranded.Count > 0)
        {
            _options = previous;
            throw new InvalidOperationException(
                $"Cannot change hook options while hooks are attached to points they would remove: {string.Join(", ", stranded)}. Remove those hooks first.");
        }
        _activeHookPoints = active;
        _hookPointsByName = active.ToDictionary(h => h.Name, StringComparer.Ordinal);
    }

    /// <summary>
    /// Runs the model (TL <c>forward</c>). <paramref name="input"/> is int64 tokens [batch, pos] (or [pos]) or, with
    /// <paramref name="startAtLayer"/>, the residual stream [batch, pos, d_model] entering that block.
    /// </summary>
    /// <param name="input">Tokens, or the residual stream when starting mid-model.</param>
    /// <param name="startAtLayer">Block to start at (TL <c>start_at_layer</c>); negative counts from the end.</param>
    /// <param name="stopAtLayer">Block to stop before (TL <c>stop_at_layer</c>): the residual stream entering it is returned.</param>
    /// <param name="attentionMask">[batch, pos], 1 for real tokens and 0 for padding (left or right).</param>
    /// <param name="cache">Keys/values of earlier positions (generation); extended with the new ones.</param>
    /// <returns>Logits [batch, pos, d_vocab], or the residual stream [batch, pos, d_model] when stopping early.</returns>
    public Tensor Forward(Tensor input, int? startAtLayer = null, int? stopAtLayer = null, Tensor? attentionMask = null, KeyValueCache? cache = null)
    {
        int start = startAtLayer is { } s ? LayerIndex(s, nameof(startAtLayer), allowEnd: false) : 0;
        int stop = stopAtLayer is { } e ? LayerIndex(e, nameof(stopAtLayer), allowEnd: true) : Cfg.NLayers;
        if (stop < start)
            throw new ArgumentOutOfRangeException(nameof(stopAtLayer), stopAtLayer, $"must not be before {nameof(startAtLayer)} ({start}).");

        // Lifetimes as in PyTorch: each block (and each attention/MLP step inside it) frees its temporaries when it ends;
        // only the residual stream, what hooks saw and the outputs outlive a step (see ForwardLifetime).
        using var lifetime = ForwardLifetime.Begin();
        Tensor residual;
        AttentionInput pass;
        if (startAtLayer is null)
        {
            var tokens = InputValidation.Tokens(input, Cfg, nameof(input));
            pass = PreparePass(tokens.shape[0], tokens.shape[1], attentionMask, cache);
            using var step = lifetime.BeginStep();
            residual = step.Keep(Embed(tokens, pass));
        }
        else
        {
            residual = InputValidation.Residual(input, Cfg, nameof(input));
            pass = PreparePass(residual.shape[0], residual.shape[1], attentionMask, cache);
        }

        for (int layer = start; layer < stop; layer++)
        {
            Tensor next;
            using (var step = lifetime.BeginStep())
                next = step.Keep(blocks[layer].Forward(residual, pass, _options, lifetime));
            lifetime.Release(residual);
            residual = next;
        }
        if (stopAtLayer is not null)
            return lifetime.Return(residual);
        Tensor logits;
        using (var step = lifetime.BeginStep())
            logits = step.Keep(unembed.forward(ln_final.forward(residual)));
        lifetime.Release(residual);
        return lifetime.Return(logits);
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor tokens) => Forward(tokens);

    private Tensor Embed(Tensor tokens, AttentionInput pass)
    {
        var tokenEmbedding = embed.forward(tokens);  // a fresh gather, so the scale may be applied in place
        if (Cfg.EmbeddingScale is { } scale)
            tokenEmbedding = tokenEmbedding.mul_(scale);
        var residual = hook_embed.Run(tokenEmbedding);
        if (pos_embed is not null)
        {
            InputValidation.PositionsFit(pass, tokens.shape[1], Cfg);
            var positions = hook_pos_embed.Run(pos_embed.forward(pass.Positions));
            residual = hook_embed.HasHooks ? residual + positions : residual.add_(positions);
        }
        return residual;
    }

    /// <summary>Positions and key mask of one pass, accounting for padding and cached positions.</summary>
    private AttentionInput PreparePass(long batch, long pos, Tensor? attentionMask, KeyValueCache? cache)
    {
        long past = cache?.Length ?? 0;
        Tensor? newMask = attentionMask is null ? null : InputValidation.AttentionMask(attentionMask, batch, pos, Device, nameof(attentionMask));
        Tensor? keyMask = newMask;
        if (cache is not null && (newMask is not null || cache.Mask is not null))
            keyMask = cache.AppendMask(newMask ?? ones(batch, pos, dtype: int64, device: Device));
        Tensor positions = keyMask is null
            ? arange(past, past + pos, dtype: int64, device: Device).unsqueeze(0).expand(batch, pos)
            : (keyMask.cumsum(1) - 1).clamp_min(0)[.., (int)past..];
        return new AttentionInput(positions, keyMask, past, cache);
    }

    /// <summary>Checks a block index (negative counts from the end) and returns it in [0, n_layers).</summary>
    internal int LayerIndex(int layer, string argumentName, bool allowEnd = false)
    {
        int n = Cfg.NLayers;
        int resolved = layer < 0 ? layer + n : layer;
        int max = allowEnd ? n : n - 1;
        if (resolved < 0 || resolved > max)
            throw new ArgumentOutOfRangeException(argumentName, layer, $"expected a layer in [{-n}, {max}] for a model with {n} layers.");
        return resolved;
    }

    private void NameHookPoints()
    {
        foreach (var (name, module) in named_modules())
        {
            if (module is not HookPoint hook)
                continue;
            int? layer = null;
            if (name.StartsWith("blocks.", StringComparison.Ordinal))
                layer = int.Parse(name.AsSpan(7, name.IndexOf('.', 7) - 7));
            hook.SetName(name, layer);
        }
    }
}
