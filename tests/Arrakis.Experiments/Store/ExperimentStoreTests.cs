using System.Text;
using Arrakis.Bench;
using Arrakis.Checkpoints;
using static TorchSharp.torch;

namespace Arrakis.Experiments.Store;

/// <summary>The store's behaviour; the bench here runs on the smallest shipped model, which none of these tests depend on.</summary>
[Collection(ShippedModelsCollection.Name)]
public sealed class ExperimentStoreTests : IDisposable
{
    private readonly ExperimentFixture _f;
    private readonly ProbeExperiment _probe;

    public ExperimentStoreTests(ShippedModels models)
    {
        _f = new ExperimentFixture(models.AttnOnly1L);
        _probe = new ProbeExperiment(_f.Model, _f.SaveDir, _f.Registry, _f.Warnings.Add);
    }

    public void Dispose() => _f.Dispose();

    private static ExperimentInfo Info(string version, string source) => new("Probe", version, "Probe.cs", 3, ["x"], source);

    private static ExperimentRecord Run(string version, int minute) => new()
    {
        RunId = $"run-{version}-{minute}",
        Experiment = "Probe",
        CodeVersion = version,
        StartedAt = new DateTimeOffset(2026, 1, 1, 12, minute, 0, TimeSpan.Zero),
    };

    [Fact]
    public void Versions_AreListedFetchedAndDiffed()
    {
        var store = new ExperimentStore(_f.SaveDir, _f.Warnings.Add);
        ExperimentInfo v1 = Info("aaaaaaaaaaaa", "double Probe(int x)\n{\n    return x;\n}");
        ExperimentInfo v2 = Info("bbbbbbbbbbbb", "double Probe(int x)\n{\n    return 2 * x;\n}");
        store.Append(v1, Run(v1.CodeVersion, 1));
        store.Append(v2, Run(v2.CodeVersion, 3));
        store.Append(v1, Run(v1.CodeVersion, 2));

        Assert.Equal(
            [("aaaaaaaaaaaa", 2), ("bbbbbbbbbbbb", 1)],
            store.ListVersions("Probe").Select(v => (v.CodeVersion, v.Runs)));
        ExperimentVersion version = store.GetVersion("Probe", "bbbbbbbbbbbb")!;
        Assert.Equal(v2.Source, version.Source);
        Assert.Equal(["run-bbbbbbbbbbbb-3"], version.Runs.Select(r => r.RunId));
        Assert.Null(store.GetVersion("Probe", "cccccccccccc"));
        Assert.Equal("""
            --- Probe@aaaaaaaaaaaa
            +++ Probe@bbbbbbbbbbbb
             double Probe(int x)
             {
            -    return x;
            +    return 2 * x;
             }

            """.ReplaceLineEndings("\n"), store.DiffSource("Probe", "aaaaaaaaaaaa", "bbbbbbbbbbbb"));
        Assert.Empty(_f.Warnings);
    }

    [Fact]
    public void Appending_NeverRewritesEarlierRecords()
    {
        var store = new ExperimentStore(_f.SaveDir);
        ExperimentInfo info = Info("aaaaaaaaaaaa", "src");
        store.Append(info, Run(info.CodeVersion, 1));
        string path = Path.Combine(_f.SaveDir, "Probe", "runs.jsonl");
        byte[] before = File.ReadAllBytes(path);

        store.Append(info, Run(info.CodeVersion, 2));

        Assert.Equal(before, File.ReadAllBytes(path).Take(before.Length));
    }

    [Fact]
    public void CorruptedRecord_IsSkippedWithAWarningNamingFileAndLine()
    {
        var store = new ExperimentStore(_f.SaveDir, _f.Warnings.Add);
        ExperimentInfo info = Info("aaaaaaaaaaaa", "src");
        store.Append(info, Run(info.CodeVersion, 1));
        string path = Path.Combine(_f.SaveDir, "Probe", "runs.jsonl");
        File.AppendAllText(path, "{\"runId\": \"half a rec"); // a writer killed mid-line: no newline
        store.Append(info, Run(info.CodeVersion, 2));          // starts on a fresh line

        IReadOnlyList<ExperimentRecord> runs = store.ReadRuns("Probe");

        Assert.Equal(["run-aaaaaaaaaaaa-1", "run-aaaaaaaaaaaa-2"], runs.Select(r => r.RunId));
        string warning = Assert.Single(_f.Warnings);
        Assert.StartsWith($"{path}:2: skipped a corrupted experiment record", warning);
    }

    [Fact]
    public async Task ConcurrentWriters_LoseNoRecord()
    {
        ExperimentInfo info = Info("aaaaaaaaaaaa", "src");
        // Separate stores on 8 threads of one process: POSIX record locks do not exclude two handles of one process, so
        // the store's in-process gate must (TwoProcessStoreTests covers separate processes).
        await Task.WhenAll(Enumerable.Range(0, 8).Select(writer => Task.Run(() =>
        {
            var store = new ExperimentStore(_f.SaveDir);
            for (int i = 0; i < 25; i++) store.Append(info, Run(info.CodeVersion, i) with { RunId = $"w{writer}-{i}" });
        })));

        var reader = new ExperimentStore(_f.SaveDir, _f.Warnings.Add);
        Assert.Equal(200, reader.ReadRuns("Probe").Select(r => r.RunId).Distinct().Count());
        Assert.Empty(_f.Warnings);
    }

    [Fact]
    public void UnwritableSaveDir_FailsBeforeTheExperimentRuns()
    {
        string file = Path.Combine(_f.SaveDir, "not-a-directory");
        File.WriteAllText(file, "");
        var probe = new ProbeExperiment(_f.Model, Path.Combine(file, "experiments"), _f.Registry);

        var error = Assert.Throws<ExperimentStoreException>(() => probe.Echo(1));

        Assert.Contains($"'{Path.Combine(file, "experiments", "ProbeExperiment.Echo")}' cannot be written", error.Message);
        Assert.Equal(0, probe.Calls);
    }

    [Fact]
    public void ReadOnlyRunsFile_FailsBeforeTheExperimentRuns_AndKeepsEveryRecord()
    {
        _probe.Echo(1);
        string runs = Path.Combine(_f.SaveDir, "ProbeExperiment.Echo", "runs.jsonl");
        byte[] before = File.ReadAllBytes(runs);
        using (ReadOnlyFile.Make(runs))
        {
            var probe = new ProbeExperiment(_f.Model, _f.SaveDir, _f.Registry); // a fresh bench: nothing cached about the folder

            var error = Assert.Throws<ExperimentStoreException>(() => probe.Echo(2));

            Assert.Contains($"'{runs}' cannot be written", error.Message);
            Assert.Contains("nothing was run", error.Message);
            Assert.Equal(0, probe.Calls);
            // The bench that already wrote there checks the file again before its next run.
            Assert.Throws<ExperimentStoreException>(() => _probe.Echo(3));
            Assert.Equal(1, _probe.Calls);
        }
        Assert.Equal(before, File.ReadAllBytes(runs));
        _probe.Echo(4); // writable again: appends
        Assert.Equal(2, _probe.Store.ReadRuns("ProbeExperiment.Echo").Count);
    }

    [Fact]
    public void UnserialisableArgument_IsRecordedAsTypeAndToStringWithAWarning()
    {
        Func<int> payload = () => 42;

        _probe.Echo(payload);

        ExperimentRecord run = Assert.Single(_probe.Store.ReadRuns("ProbeExperiment.Echo"));
        Assert.Equal(typeof(Func<int>).FullName, (string?)run.Arguments!["payload"]!["$unserialisable"]!["type"]);
        Assert.Equal(payload.ToString(), (string?)run.Arguments["payload"]!["$unserialisable"]!["toString"]);
        Assert.Contains(_f.Warnings, w => w.StartsWith("argument 'payload' of ProbeExperiment.Echo of type System.Func`1[[System.Int32"));
        Assert.Equal(2, run.Warnings.Count); // the argument and the (same) result
    }

    [Fact]
    public void LargeTensor_GoesToASafetensorsSidecar_SmallTensorInline()
    {
        Tensor large = arange(5000, dtype: ScalarType.Float32).reshape(50, 100);

        _probe.Echo(large);
        _probe.Echo(tensor(new[] { 1.5f, float.NaN }));

        IReadOnlyList<ExperimentRecord> runs = _probe.Store.ReadRuns("ProbeExperiment.Echo");
        var sidecar = runs[0].Arguments!["payload"]!["$tensor"]!;
        Assert.Equal(("Float32", "safetensors"), ((string?)sidecar["dtype"], (string?)sidecar["format"]));
        using (var file = SafetensorsFile.Open(Path.Combine(_f.SaveDir, "ProbeExperiment.Echo", (string)sidecar["sidecar"]!)))
        {
            Assert.True(file.Load("tensor").eq(large).all().item<bool>());
        }
        Assert.Equal("[1.5,\"NaN\"]", runs[1].Arguments!["payload"]!["$tensor"]!["values"]!.ToJsonString());
    }

    [Fact]
    public async Task AsyncAndFailingExperiments_AreRecorded()
    {
        Assert.Equal(3, await _probe.CountAsync(2));
        var error = Assert.Throws<InvalidOperationException>(() => _probe.Fail("on purpose"));

        Assert.Equal(3, (int)Assert.Single(_probe.Store.ReadRuns("ProbeExperiment.CountAsync")).Result!);
        ExperimentRecord failed = Assert.Single(_probe.Store.ReadRuns("ProbeExperiment.Fail"));
        Assert.Equal(("failed", "System.InvalidOperationException: on purpose"), (failed.Status, failed.Error));
        Assert.Equal("on purpose", error.Message);
    }
}
