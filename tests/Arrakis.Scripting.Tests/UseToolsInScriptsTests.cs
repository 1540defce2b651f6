using Arrakis.Bench;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Arrakis.Scripting.Tests;

/// <summary>[UseTools] in scripts: the generator's wiring and the analyzer's diagnostics, before anything runs.</summary>
[Collection(HostCollection.Name)]
public sealed class UseToolsInScriptsTests(HostFixture fixture)
{
    private readonly ScriptHost _host = fixture.Host;

    private const string Experiment = """
        [Tool("counter")]
        public interface ICounter { int Count(string text); }
        public sealed class Counter : ICounter { public int Count(string text) => text.Split(' ').Length; }

        public partial class Words(HookedTransformer model, string saveDir, IToolRegistry tools) : InterpretabilityBench(model, saveDir, tools)
        {
            /// <summary>Counts words.</summary>
            [UseTools("counter"), LogExperiment]
            public int CountWords(string text, ICounter counter) => counter.Count(text);
        }

        """;

    [Fact]
    public async Task UseTools_IsWired_AndTheRunIsRecorded()
    {
        using var dir = new TempFolder();
        string script = dir.File("words.csx", Experiment + """
            var exp = new Words(Model, OutDir, Tools);
            exp.AddTool<ICounter>("counter", new Counter());
            Out.WriteLine(exp.CountWords("a b c d"));
            """);
        string store = dir.File("exps");
        var (globals, output, _) = fixture.Globals(store);
        await _host.RunFileAsync(script, globals);
        Assert.Equal("4", output.ToString().Trim());
        var run = Assert.Single(new ExperimentStore(store).ReadRuns("Words.CountWords"));
        Assert.Equal("words.csx", run.SourcePath);
        Assert.Equal(9, run.Line);
        Assert.Equal("counter", Assert.Single(run.Tools).Name);
        Assert.Equal(12, run.CodeVersion.Length);
    }

    [Theory]
    [InlineData("[UseTools(\"countr\"), LogExperiment]\n    public int CountWords(string text, ICounter counter) => 0;", "ARK001", 6, 15, "did you mean 'counter'")]
    [InlineData("[UseTools(\"counter\")]\n    public int CountWords(string text, string counter) => 0;", "ARK003", 7, 40, "must be of type 'ICounter'")]
    [InlineData("[LogExperiment]\n    public int CountWords(string text, ICounter counter) => 0;", "ARK011", 6, 6, "add [UseTools(\"tool\")]")]
    public async Task ArkErrors_AreReportedLikeCompilerErrors_BeforeAnythingRuns(string method, string id, int line, int column, string message)
    {
        using var dir = new TempFolder();
        string script = dir.File("bad.csx", $$"""
            [Tool("counter")]
            public interface ICounter { int Count(string text); }

            public partial class Words(HookedTransformer model, string saveDir, IToolRegistry tools) : InterpretabilityBench(model, saveDir, tools)
            {
                {{method}}
            }
            Out.WriteLine("ran");
            """);
        var (globals, output, loads) = fixture.Globals(dir.Path);
        var e = await Assert.ThrowsAsync<ScriptCompilationException>(() => _host.RunFileAsync(script, globals));
        var d = Assert.Single(e.Diagnostics, x => x.Id == id);
        Assert.Equal((line, column), (d.Line, d.Column));
        Assert.Contains(message, d.Message);
        Assert.Matches($@"bad\.csx\({line},{column}\): error {id}: ", d.ToString());
        Assert.Equal("", output.ToString());
        Assert.Equal(0, loads());
    }

    [Fact]
    public async Task AContractAssemblyReferencedWithR_IsVisibleToUseTools()
    {
        using var dir = new TempFolder();
        string contracts = BuildContracts(dir.File("contracts/Acme.Contracts.dll"));
        string script = dir.File("acme.csx", """
            #r "contracts/Acme.Contracts.dll"
            using Acme;
            public sealed class Echo : IEcho { public string Say(string s) => s + "!"; }
            public partial class AcmeBench(HookedTransformer model, string saveDir, IToolRegistry tools) : InterpretabilityBench(model, saveDir, tools)
            {
                [UseTools("echo")]
                public string Shout(string s, IEcho echo) => echo.Say(s);
            }
            var bench = new AcmeBench(Model, OutDir, Tools);
            bench.AddTool<IEcho>("echo", new Echo());
            Out.WriteLine(bench.Shout("hi"));
            """);
        var (globals, output, _) = fixture.Globals(dir.Path);
        var compiled = await _host.CompileFileAsync(script);
        Assert.Equal(Path.GetFullPath(contracts), Assert.Single(compiled.DirectiveReferences));
        await _host.RunAsync(compiled, globals);
        Assert.Equal("hi!", output.ToString().Trim());

        // A misspelt tool name is checked against the referenced assembly's contracts.
        File.WriteAllText(script, File.ReadAllText(script).Replace("[UseTools(\"echo\")]", "[UseTools(\"eco\")]"));
        var e = await Assert.ThrowsAsync<ScriptCompilationException>(() => _host.CompileFileAsync(script));
        Assert.Contains(e.Diagnostics, d => d.Id == "ARK001" && d.Message.Contains("did you mean 'echo'"));
    }

    private static string BuildContracts(string path)
    {
        var tree = CSharpSyntaxTree.ParseText("namespace Acme { [Arrakis.Tool(\"echo\")] public interface IEcho { string Say(string s); } }");
        var references = new[] { typeof(object), typeof(ToolAttribute), typeof(Attribute) }
            .Select(t => t.Assembly.Location).Append(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "System.Runtime.dll"))
            .Distinct().Select(p => MetadataReference.CreateFromFile(p));
        var compilation = CSharpCompilation.Create("Acme.Contracts", [tree], references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var result = compilation.Emit(path);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        return path;
    }
}
