// Usage: Arrakis.StoreWriter <saveDir> <writer> <count> <goFile>
// Creates <goFile>.<writer>.ready, waits until <goFile> exists (so two writers start appending at the same moment), records <count>
// runs of WriterBench.Append into <saveDir> (after the first, waiting for the other writer's first), prints "done <count>". Payloads are WriterPayload.For(writer, index).
using Arrakis;
using Arrakis.StoreWriter;

if (args.Length != 4 || !int.TryParse(args[2], out int count) || count < 0)
{
    Console.Error.WriteLine("usage: Arrakis.StoreWriter <saveDir> <writer> <count> <goFile>");
    return 2;
}
(string saveDir, string writer, string goFile) = (args[0], args[1], args[3]);

using var model = new HookedTransformer(HookedAutoConfig.Create("gpt2", vocabSize: 16, hiddenSize: 8, numHiddenLayers: 1,
    numAttentionHeads: 2, maxPositionEmbeddings: 8, seed: 1));
var bench = new WriterBench(model, saveDir);
bench.AddTool<IStamp>("stamp", new ProcessStamp());
// Warm up (JIT, weights hash, JSON metadata) on a store of its own, so both writers reach the race at full speed.
string warmUp = $"{goFile}.{writer}.warm-up";
var warm = new WriterBench(model, warmUp);
warm.AddTool<IStamp>("stamp", new ProcessStamp());
warm.Append(writer, -1, WriterPayload.For(writer, -1));
Directory.Delete(warmUp, recursive: true);
_ = bench.ModelIdentity;

File.WriteAllText($"{goFile}.{writer}.ready", "");
if (!WaitUntil(() => File.Exists(goFile)))
{
    Console.Error.WriteLine($"no go file {goFile} after 2 minutes");
    return 3;
}

// After its first record, each writer waits for the other's first record, so both are mid-run at the same time whatever
// the scheduler does (under load, one process could otherwise finish before the other starts).
var store = new Arrakis.Bench.ExperimentStore(saveDir);
for (int i = 0; i < count; i++)
{
    bench.Append(writer, i, WriterPayload.For(writer, i));
    if (i == 0 && !WaitUntil(() => store.ReadRuns("WriterBench.Append").Count >= 2))
    {
        Console.Error.WriteLine("the other writer wrote nothing within 2 minutes");
        return 4;
    }
}
Console.WriteLine($"done {count}");
return 0;

// Polls every millisecond; false after two minutes without the condition.
static bool WaitUntil(Func<bool> condition)
{
    var deadline = DateTime.UtcNow.AddMinutes(2);
    while (!condition())
    {
        if (DateTime.UtcNow > deadline) return false;
        Thread.Sleep(1);
    }
    return true;
}
