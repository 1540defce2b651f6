using Arrakis.Sae;
using Arrakis.Tests.Model;
using Arrakis.Training;
using Arrakis.Training.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tests.Sae;

public sealed class ActivationStoreTests
{
    private sealed class RandomBatches(long count) : ITokenBatches
    {
        public string Description => $"random tokens, {count} batches of 2 × 8";
        public long Count => count;
        public Tensor Batch(long index) => TestModels.Tokens(2, 8, seed: (int)index + 1);
    }

    private const string Hook = "blocks.0.hook_resid_post";

    [Fact]
    public void Harvest_WritesEveryActivationOnce_InShardsWithMetadata()
    {
        using var model = TestModels.Create("gpt2");
        using var dir = new TempDirectory();
        var lines = new List<HarvestProgress>();
        var store = ActivationStore.Harvest(model, Hook, new RandomBatches(5), dir.Path, batchesPerShard: 2, progress: lines.Add);
        Assert.Equal(3, store.ShardCount);
        Assert.True(store.IsComplete);
        Assert.Equal(5, lines.Count);
        Assert.Contains("tok/s", lines[^1].ToString());
        // Shard 2 holds batch 4 alone: the same rows as a direct cache of that batch.
        using var shard = store.LoadShard(2);
        Assert.Equal([16L, 32], shard.shape);
        using var tokens = TestModels.Tokens(2, 8, seed: 5);
        var (logits, cache) = model.RunWithCache(tokens, [Hook]);
        using (logits) using (cache)
            Assert.True(shard.allclose(cache[Hook].reshape(-1, 32), rtol: 0, atol: 1e-6));
        var reopened = ActivationStore.Open(dir.Path);
        Assert.Equal(Hook, reopened.HookName);
        Assert.Contains("random tokens", reopened.Dataset);
        using var file = Arrakis.Checkpoints.SafetensorsFile.Open(store.ShardPath(1));
        Assert.Equal("2", file.Metadata["first_batch"]);
        Assert.Equal(Hook, file.Metadata["hook"]);
    }

    [Fact]
    public void AnInterruptedHarvest_Resumes_WithNothingDuplicatedOrRecomputed()
    {
        using var model = TestModels.Create("gpt2");
        using var whole = new TempDirectory();
        using var resumed = new TempDirectory();
        var full = ActivationStore.Harvest(model, Hook, new RandomBatches(6), whole.Path, batchesPerShard: 2);
        using var cts = new CancellationTokenSource();
        Assert.Throws<OperationCanceledException>(() => ActivationStore.Harvest(model, Hook, new RandomBatches(6), resumed.Path, 2,
            p => { if (p.Batches == 3) cts.Cancel(); }, cts.Token));
        Assert.Single(Directory.GetFiles(resumed.Path, "shard_*"));
        var writes = new List<long>();
        var store = ActivationStore.Harvest(model, Hook, new RandomBatches(6), resumed.Path, 2, p => writes.Add(p.Batches));
        Assert.Equal([3L, 4, 5, 6], writes);  // batches 1–2 (shard 0) are not recomputed
        for (int i = 0; i < 3; i++)
        {
            using var a = full.LoadShard(i);
            using var b = store.LoadShard(i);
            Assert.True(a.eq(b).all().ToBoolean());
        }
        Assert.Empty(Directory.GetFiles(resumed.Path, "*.tmp"));
    }

    [Fact]
    public void AFolderOfAnotherHarvest_IsRefused()
    {
        using var model = TestModels.Create("gpt2");
        using var dir = new TempDirectory();
        ActivationStore.Harvest(model, Hook, new RandomBatches(2), dir.Path);
        var e = Assert.Throws<InvalidOperationException>(() => ActivationStore.Harvest(model, "blocks.1.hook_resid_post", new RandomBatches(2), dir.Path));
        Assert.Contains("another harvest", e.Message);
    }

    [Fact]
    public void ShuffledBatches_ServeEveryActivation_OncePerEpoch()
    {
        using var model = TestModels.Create("gpt2");
        using var dir = new TempDirectory();
        var store = ActivationStore.Harvest(model, Hook, new RandomBatches(4), dir.Path, batchesPerShard: 1);
        var source = store.ShuffledBatches(seed: 3, bufferRows: 20);
        using var served = cat(Enumerable.Range(0, 8).Select(_ => source.Next(8)).ToList(), 0);  // 64 = all rows
        using var all = cat(Enumerable.Range(0, 4).Select(store.LoadShard).ToList(), 0);
        Assert.False(served.eq(all).all().ToBoolean());  // shuffled
        using var a = served.sum(dim: 0);
        using var b = all.sum(dim: 0);
        Assert.True(a.allclose(b, rtol: 1e-4, atol: 1e-3));  // the same multiset of rows
    }
}
