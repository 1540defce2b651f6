using System.Diagnostics;
using System.Text.Json;

namespace Arrakis.Scripting.Tests;

/// <summary>The arrakis command as a process: exit codes, messages, Ctrl+C, JSON output.</summary>
public sealed class CliTests : IDisposable
{
    private readonly TempFolder _dir = new("arrakis-cli-test");
    private readonly string _cache;

    public CliTests() => _cache = Path.Combine(_dir.Path, ".cache");

    public void Dispose() => _dir.Dispose();

    private Task<ArrakisProcess.Result> Arrakis(params string[] args) => ArrakisProcess.RunAsync(_dir.Path, _cache, null, args);

    [Theory]
    [InlineData(new[] { "run", "missing.csx" }, "Script not found: 'missing.csx'")]
    [InlineData(new[] { "run", "ok.csx", "--model", "no-such-model" }, "Unknown model 'no-such-model': not a model name nor a folder. Known models: hand-built-induction, random-gpt2")]
    [InlineData(new[] { "run", "ok.csx", "--device", "tpu" }, "Unknown device 'tpu'; expected one of: cpu, cuda, auto.")]
    [InlineData(new[] { "run", "ok.csx", "--dtype", "int8" }, "Unknown --dtype 'int8'; expected one of: float32, bfloat16, float16.")]
    [InlineData(new[] { "run", "ok.csx", "--plugins", "no-such-folder" }, "Plugin folder 'no-such-folder' does not exist.")]
    [InlineData(new[] { "experiments", "list", "--out", "nowhere" }, "No experiment store at 'nowhere'")]
    [InlineData(new[] { "models", "nope" }, "Unknown model 'nope'. Known models:")]
    [InlineData(new[] { "train", "--task", "induction", "--out", "t", "--threads", "0" }, "--threads must be at least 1.")]
    [InlineData(new[] { "train", "--task", "induction", "--out", "t", "--resume" }, "--resume: ")]
    public async Task BadInput_IsOneClearLine_WithoutAStackTrace(string[] args, string message)
    {
        _dir.File("ok.csx", "Out.WriteLine(1);");
        var r = await Arrakis(args);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("arrakis: error: " + message, r.Error);
        Assert.DoesNotContain("   at ", r.Error);
        Assert.Equal("", r.Out);
    }

    [Fact]
    public async Task CudaWithoutAGpu_IsRefusedBeforeAnythingRuns()
    {
        if (TorchSharp.torch.cuda.is_available()) return; // a CUDA machine runs it for real
        _dir.File("ok.csx", "Out.WriteLine(1);");
        var r = await Arrakis("run", "ok.csx", "--device", "cuda");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("arrakis: error: Device 'cuda' was asked for, but the libtorch loaded", r.Error);
        // Both ways to get a GPU: an installed PyTorch with CUDA, or the CUDA TorchSharp package.
        Assert.Contains("installed PyTorch with CUDA", r.Error);
        Assert.Contains("--libtorch DIR", r.Error);
        Assert.Contains("TorchSharp-cuda-linux", r.Error);
        Assert.Equal("", r.Out);
    }

    [Fact]
    public async Task EnvironmentExitFromAScript_IsNotSilent_NamingTheCallerAndTheCode()
    {
        _dir.File("quits.csx", "static void Leave() => Environment.Exit(7);\nOut.WriteLine(\"before\");\nLeave();\nOut.WriteLine(\"after\");\n");
        var r = await Arrakis("run", "quits.csx");
        Assert.Equal(7, r.ExitCode);
        Assert.Contains("before", r.Out);
        Assert.DoesNotContain("after", r.Out);
        Assert.Contains("arrakis: Environment.Exit(7) was called by ", r.Error);
        Assert.Contains("the session ends here (records already in the experiment store are kept)", r.Error);

        _dir.File("fine.csx", "Out.WriteLine(\"fine\");");
        var fine = await Arrakis("run", "fine.csx");
        Assert.Equal(0, fine.ExitCode);
        Assert.DoesNotContain("Environment.Exit", fine.Error); // a normal end says nothing
    }

    [Fact]
    public async Task ACompileError_Exits1_WithFileLineColumn()
    {
        _dir.File("broken.csx", "Out.WriteLine(\"never\");\nOut.WriteLine(nope);\n");
        var r = await Arrakis("run", "broken.csx");
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("broken.csx(2,15): error CS0103: The name 'nope' does not exist in the current context", r.Error);
        Assert.Equal("", r.Out);
    }

    [Fact]
    public async Task AThrowingScript_Exits1_WithItsLine_AndTheStackOnlyWhenVerbose()
    {
        _dir.File("throws.csx", "Out.WriteLine(\"before\");\nthrow new InvalidOperationException(\"boom\");\n");
        var r = await Arrakis("run", "throws.csx");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("before", r.Out.Trim());
        Assert.StartsWith("throws.csx(2): error: System.InvalidOperationException: boom", r.Error);
        Assert.DoesNotContain("   at ", r.Error);
        var verbose = await Arrakis("run", "throws.csx", "--verbose");
        Assert.Contains("   at ", verbose.Error);
    }

    [Fact]
    public async Task ScriptArguments_FollowTheDoubleDash_AndTheReRunIsCached()
    {
        _dir.File("args.csx", "Out.WriteLine(string.Join(\"|\", Args));");
        var first = await Arrakis("run", "args.csx", "--timings", "--", "a", "--b", "c d");
        Assert.Equal(0, first.ExitCode);
        Assert.Equal("a|--b|c d", first.Out.Trim());
        Assert.Contains("(compiled)", first.Error);
        Assert.Contains("(model not loaded)", first.Error);
        var second = await Arrakis("run", "args.csx", "--timings", "--", "x");
        Assert.Equal("x", second.Out.Trim());
        Assert.Contains("(cached)", second.Error);
    }

    [Fact]
    public async Task CtrlC_Exits130_AndLeavesNoPartialRecord()
    {
        _dir.File("slow.csx", """
            Out.WriteLine("started");
            Out.Flush();
            Bench.Record("slow", new Dictionary<string, object?>(), () =>
            {
                while (true) { Cancellation.ThrowIfCancellationRequested(); Thread.Sleep(10); }
                return 0;
            });
            """);
        using var process = ArrakisProcess.Start(_dir.Path, _cache, "run", "slow.csx", "--out", "exps");
        var stderr = process.StandardError.ReadToEndAsync();
        string? line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(2));
        Assert.Equal("started", line);
        await Task.Delay(200);
        Assert.Equal(0, Kill(process.Id, InterruptSignal())); // SIGINT, as Ctrl+C sends
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(130, process.ExitCode);
        Assert.Contains("arrakis: cancelled", await stderr);
        Assert.False(File.Exists(Path.Combine(_dir.Path, "exps", "slow", "runs.jsonl")));
    }

    /// <summary>
    /// SIGINT (2), unless this process inherited it ignored — as a job started with <c>&amp;</c> by a non-interactive shell
    /// does, and its children after it: .NET then leaves it ignored, as Unix programs should, so the child would never see
    /// it. SIGTERM (15) then, which arrakis turns into the same cancellation.
    /// </summary>
    private static int InterruptSignal()
    {
        string? ignored = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        bool sigintIgnored = ignored is not null && (Convert.ToUInt64(ignored["SigIgn:".Length..].Trim(), 16) & (1UL << (2 - 1))) != 0;
        return sigintIgnored ? 15 : 2;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    [Fact]
    public async Task Models_Json_ListsTheDefault()
    {
        var r = await Arrakis("models", "--json");
        Assert.Equal(0, r.ExitCode);
        using var json = JsonDocument.Parse(r.Out);
        var models = json.RootElement.EnumerateArray().ToList();
        Assert.Equal("hand-built-induction", models[0].GetProperty("name").GetString());
        var defaults = models.Where(m => m.GetProperty("isDefault").GetBoolean()).Select(m => m.GetProperty("name").GetString()).ToList();
        Assert.Equal([global::Arrakis.Scripting.Models.ModelCatalog.DefaultModel], defaults);
        var card = await Arrakis("models", "hand-built-induction");
        Assert.Contains("previous-token head", card.Out);
    }

    [Fact]
    public async Task Info_Json_NamesTheRuntimeAndTheScriptCache()
    {
        var r = await Arrakis("info", "--json");
        Assert.Equal(0, r.ExitCode);
        using var json = JsonDocument.Parse(r.Out);
        Assert.Equal(_cache, json.RootElement.GetProperty("scriptCache").GetString());
        Assert.False(string.IsNullOrEmpty(json.RootElement.GetProperty("torchSharp").GetString()));
        Assert.False(string.IsNullOrEmpty(json.RootElement.GetProperty("libtorch").GetString()));
        Assert.Equal("Bundle", json.RootElement.GetProperty("libtorchSource").GetString());
    }

    [Fact]
    public async Task Libtorch_NamingAFolderWithoutLibtorch_IsRefused_NamingTheFolder()
    {
        var r = await Arrakis("info", "--libtorch", _dir.Path);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains(_dir.Path, r.Error);
        Assert.Contains("libtorch_cpu.so", r.Error);
    }
}

/// <summary>The experiment store through the command: versions, show, diff.</summary>
public sealed class ExperimentsCliTests : IDisposable
{
    private readonly TempFolder _dir = new("arrakis-experiments-cli-test");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task TwoVersionsOfAScript_AreListed_Shown_AndDiffed()
    {
        string cache = _dir.File(".cache");
        string script = _dir.File("sum.csx", "// version one\nvar r = Bench.Record(\"sum\", new Dictionary<string, object?> { [\"n\"] = 2 }, () => 1 + 1);\nOut.WriteLine(r);\n");
        Assert.Equal(0, (await ArrakisProcess.RunAsync(_dir.Path, cache, null, "run", "sum.csx")).ExitCode);
        File.WriteAllText(script, File.ReadAllText(script).Replace("// version one", "// version two"));
        Assert.Equal(0, (await ArrakisProcess.RunAsync(_dir.Path, cache, null, "run", "sum.csx")).ExitCode);

        var list = await ArrakisProcess.RunAsync(_dir.Path, cache, null, "experiments", "list", "--json");
        using var listed = JsonDocument.Parse(list.Out);
        var row = Assert.Single(listed.RootElement.EnumerateArray());
        Assert.Equal(2, row.GetProperty("runs").GetInt32());
        Assert.Equal(2, row.GetProperty("versions").GetInt32());

        var show = await ArrakisProcess.RunAsync(_dir.Path, cache, null, "experiments", "show", "sum", "--json");
        using var shown = JsonDocument.Parse(show.Out);
        var versions = shown.RootElement.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("codeVersion").GetString()!).ToList();
        Assert.Equal(2, versions.Distinct().Count());

        var diff = await ArrakisProcess.RunAsync(_dir.Path, cache, null, "experiments", "diff", "sum", versions[0], versions[1]);
        Assert.True(diff.ExitCode == 0, diff.ToString());
        Assert.Contains("-// version one", diff.Out);
        Assert.Contains("+// version two", diff.Out);

        var one = await ArrakisProcess.RunAsync(_dir.Path, cache, null, "experiments", "show", "sum", "--version", versions[0]);
        Assert.Contains("// version one", one.Out);
        Assert.Contains("result: 2", one.Out);

        var bad = await ArrakisProcess.RunAsync(_dir.Path, cache, null, "experiments", "diff", "sum", versions[0], "000000000000");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("arrakis: error: No source for sum@000000000000", bad.Error);
    }

    [Fact]
    public async Task DamagedLines_AreWarnedOnceByShow_AndFailVerifyAndStrictShow_NamingFileAndLine()
    {
        string cache = _dir.File(".cache");
        var store = new Arrakis.Bench.ExperimentStore(_dir.File("experiments"));
        var info = new Arrakis.Bench.ExperimentInfo("probe", "aaaaaaaaaaaa", "probe.csx", 1, [], "src");
        store.Append(info, new Arrakis.Bench.ExperimentRecord { RunId = "r1", Experiment = "probe", CodeVersion = "aaaaaaaaaaaa" });
        store.Append(new Arrakis.Bench.ExperimentInfo("clean", "aaaaaaaaaaaa", "probe.csx", 1, [], "src"),
            new Arrakis.Bench.ExperimentRecord { RunId = "c1", Experiment = "clean", CodeVersion = "aaaaaaaaaaaa" });
        string runs = Path.Combine(_dir.Path, "experiments", "probe", "runs.jsonl");
        File.AppendAllText(runs, "{\"runId\": \"torn\n");            // line 2
        store.Append(info, new Arrakis.Bench.ExperimentRecord { RunId = "r2", Experiment = "probe", CodeVersion = "aaaaaaaaaaaa" });
        File.AppendAllText(runs, "not json at all\n");                   // line 4

        var show = await ArrakisProcess.RunAsync(_dir.Path, cache, null, "experiments", "show", "probe");
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Equal(1, Occurrences(show.Error, $"{runs}:2:"));
        Assert.Equal(1, Occurrences(show.Error, $"{runs}:4:"));
        Assert.Contains("run r2", show.Out);

        var strict = await ArrakisProcess.RunAsync(_dir.Path, cache, null, "experiments", "show", "probe", "--strict");
        Assert.Equal(3, strict.ExitCode);
        Assert.Contains($"{runs}:2: error: damaged experiment record", strict.Error);
        Assert.Contains($"{runs}:4: error: damaged experiment record", strict.Error);
        Assert.Equal("", strict.Out);

        var verify = await ArrakisProcess.RunAsync(_dir.Path, cache, null, "experiments", "verify", "probe");
        Assert.Equal(3, verify.ExitCode);
        Assert.Equal(1, Occurrences(verify.Error, $"{runs}:2: error:"));
        Assert.Equal(1, Occurrences(verify.Error, $"{runs}:4: error:"));
        Assert.Contains("2 damaged line(s), 2 readable record(s)", verify.Error);

        var clean = await ArrakisProcess.RunAsync(_dir.Path, cache, null, "experiments", "verify", "clean");
        Assert.True(clean.ExitCode == 0, clean.ToString());
        Assert.Contains("clean: 1 record(s), every line readable.", clean.Out);
        var strictClean = await ArrakisProcess.RunAsync(_dir.Path, cache, null, "experiments", "show", "clean", "--strict");
        Assert.True(strictClean.ExitCode == 0, strictClean.ToString());

        var missing = await ArrakisProcess.RunAsync(_dir.Path, cache, null, "experiments", "verify", "nope");
        Assert.Equal(2, missing.ExitCode);
    }

    private static int Occurrences(string text, string what) =>
        (text.Length - text.Replace(what, "", StringComparison.Ordinal).Length) / what.Length;
}
