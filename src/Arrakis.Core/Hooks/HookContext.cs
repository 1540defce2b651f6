namespace Arrakis.Hooks;

/// <summary>
/// What a hook function is told about where it runs (TransformerLens passes the <c>HookPoint</c> itself:
/// <c>hook.name</c>, <c>hook.layer()</c>, <c>hook.ctx</c>).
/// </summary>
public sealed class HookContext
{
    internal HookContext(string name, int? layer)
    {
        Name = name;
        Layer = layer;
    }

    /// <summary>The full hook name, e.g. <c>blocks.1.attn.hook_pattern</c>.</summary>
    public string Name { get; }

    /// <summary>The block index for per-block hooks; <c>null</c> for <c>hook_embed</c>, <c>ln_final.*</c>, <c>unembed.*</c>.</summary>
    public int? Layer { get; }

    /// <summary>Scratch space shared by the hooks of this point across calls (TL <c>hook.ctx</c>); cleared with the hooks.</summary>
    public Dictionary<string, object> Ctx { get; } = new();

    /// <inheritdoc />
    public override string ToString() => Name;
}
