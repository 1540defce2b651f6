namespace Arrakis;

/// <summary>
/// The C# twin of Arrakis's <c>HookedAutoModel(config)</c>: a randomly initialised <see cref="HookedTransformer"/>
/// built from a <see cref="HookedAutoConfig"/>.
/// </summary>
/// <example><code>
/// var config = HookedAutoConfig.Create("llama");   // Arrakis: HookedAutoConfig(name="llama")
/// using var model = new HookedAutoModel(config);  // Arrakis: HookedAutoModel(config)
/// </code></example>
public sealed class HookedAutoModel(HookedTransformerConfig config, HookOptions? options = null) : HookedTransformer(config, options);
