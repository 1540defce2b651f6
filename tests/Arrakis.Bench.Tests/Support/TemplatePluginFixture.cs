using Arrakis.Bench.Plugins;

namespace Arrakis.Bench.Tests.Support;

/// <summary>
/// Creates a plugin with <c>dotnet new arrakis-plugin</c> from plugins/Arrakis.Plugin.Template (installed into a
/// private template hive, so the user's templates are untouched) and builds it twice, once as generated and once
/// changed, into plugin-folder layouts that tests copy. Shared by every test of <see cref="TemplatePluginCollection"/>.
/// </summary>
public sealed class TemplatePluginFixture : IDisposable
{
    public const string PluginName = "Probe.Echo";
    public const string ToolName = "echo";

    private readonly TempFolder _temp = new("arrakis-template");

    public TemplatePluginFixture()
    {
        var hive = _temp.Combine("hive");
        DotNet.Run(_temp.Path, "new", "install", Repo.TemplateContent, "--debug:custom-hive", hive);
        DotNet.Run(_temp.Path, "new", "arrakis-plugin", "-n", PluginName, "--tool", ToolName,
            "--abstractions", Repo.AbstractionsDll, "-o", Source, "--debug:custom-hive", hive);

        // The generated test project, run as generated (tests later change the implementation's source).
        try { GeneratedTestOutput = DotNet.Run(Source, "test", Path.Combine("tests", PluginName + ".Tests"), "-nologo", "-v:q", "-nodeReuse:false"); }
        catch (InvalidOperationException e) { GeneratedTestOutput = e.Message; }

        DotNet.Build(Project, Generated);
        WriteImplementation("Bonjour");
        DotNet.Build(Project, Changed, "--no-restore");

        // A build whose contract changed too (a new interface member); then the contract's source is put back, and
        // since builds are deterministic, later builds produce the original contract assembly again.
        var contract = Path.Combine(Source, "src", PluginName + ".Contracts", "IEcho.cs");
        var original = File.ReadAllText(contract);
        File.WriteAllText(contract, original.Replace("EchoResult Run(string input);", "EchoResult Run(string input);\n    /// <summary>Added.</summary>\n    int Revision => 2;"));
        DotNet.Build(Project, ContractChanged, "--no-restore");
        File.WriteAllText(contract, original);
    }

    /// <summary>What <c>dotnet test</c> printed for the generated test project.</summary>
    public string GeneratedTestOutput { get; }

    /// <summary>The generated plugin's source folder.</summary>
    public string Source => _temp.Combine("source");

    /// <summary>The implementation project (what <c>dotnet build -o &lt;plugins&gt;/Probe.Echo</c> builds).</summary>
    public string Project => Path.Combine(Source, "src", PluginName, PluginName + ".csproj");

    /// <summary>The build of the template as generated: <c>Run("x")</c> returns "Hello, x!".</summary>
    public string Generated => _temp.Combine("builds", "generated");

    /// <summary>A build whose <c>Run("x")</c> returns "Bonjour, x!".</summary>
    public string Changed => _temp.Combine("builds", "changed");

    /// <summary>A build of "Bonjour" whose contract assembly gained a member.</summary>
    public string ContractChanged => _temp.Combine("builds", "contract-changed");

    /// <summary>A plugins folder holding a copy of <paramref name="build"/> as Probe.Echo.</summary>
    public TempFolder PluginsWith(string build)
    {
        var root = new TempFolder("arrakis-plugins");
        TempFolder.CopyFolder(build, root.Combine(PluginName));
        return root;
    }

    public static PluginHost Host(string root, Action<PluginHostOptions>? configure = null)
    {
        var options = new PluginHostOptions { ReloadDelay = TimeSpan.FromMilliseconds(150) };
        options.AddFolder(root);
        configure?.Invoke(options);
        return new PluginHost(options);
    }

    /// <summary>
    /// Rewrites the generated implementation: <c>Run(input)</c> returns "<paramref name="greeting"/>, input!"; an
    /// input "wait:&lt;file&gt;" first creates "&lt;file&gt;.entered", then blocks until &lt;file&gt; exists (a call
    /// the test can hold in flight).
    /// </summary>
    public void WriteImplementation(string greeting) =>
        File.WriteAllText(Path.Combine(Source, "src", PluginName, "EchoTool.cs"), $$"""
            using Probe.Echo.Contracts;

            namespace Probe.Echo;

            /// <summary>The echo tool, rewritten by the test.</summary>
            public sealed class EchoTool : IEcho
            {
                public int Calls { get; set; } // no doc comment: an author's first public member must not fail the build (CS1591 is a warning)

                /// <inheritdoc />
                public EchoResult Run(string input)
                {
                    if (input.StartsWith("wait:", StringComparison.Ordinal))
                    {
                        var release = input["wait:".Length..];
                        File.WriteAllText(release + ".entered", "");
                        var deadline = DateTime.UtcNow.AddSeconds(60);
                        while (!File.Exists(release) && DateTime.UtcNow < deadline) Thread.Sleep(5);
                    }
                    var output = $"{{greeting}}, {input}!";
                    return new EchoResult(output, output.Length);
                }
            }
            """);

    public void Dispose() => _temp.Dispose();
}

[CollectionDefinition(Name)]
public sealed class TemplatePluginCollection : ICollectionFixture<TemplatePluginFixture>
{
    public const string Name = "plugin built from the template";
}
