using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Components;

/// <summary>What attention needs besides its inputs for one forward pass.</summary>
/// <param name="Positions">Absolute positions of the new tokens, int64 [batch, pos] (rotary, learned embeddings).</param>
/// <param name="KeyMask">1 for real keys, 0 for padding, over all keys (cached + new) [batch, key_pos]; <c>null</c> when none is padding.</param>
/// <param name="PastLength">How many cached positions precede the new ones.</param>
/// <param name="Cache">The key/value cache to read and extend, if generating.</param>
internal sealed record AttentionInput(Tensor Positions, Tensor? KeyMask, long PastLength, KeyValueCache? Cache);
