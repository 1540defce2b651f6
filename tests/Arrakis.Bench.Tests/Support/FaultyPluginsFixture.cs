namespace Arrakis.Bench.Tests.Support;

/// <summary>
/// Builds, in one <c>dotnet build</c>, a good plugin and one plugin for each way a plugin can be faulty, all
/// against one contracts assembly, and lays them out as a plugins folder:
/// <list type="bullet">
/// <item>Good — implements <c>probe</c>.</item>
/// <item>Throws — its tool's constructor throws.</item>
/// <item>Hangs — its tool's constructor blocks for 20 s.</item>
/// <item>NeedsHelper — references Faulty.Helper.dll, which is then deleted from its folder.</item>
/// <item>FutureApi — declares plugin API 2.0.</item>
/// <item>NoApi — declares no plugin API version.</item>
/// <item>TwinA, TwinB — both implement <c>twin</c>.</item>
/// <item>NoTools — a .NET assembly without tool implementations.</item>
/// <item>OwnContract — declares its <c>[Tool]</c> contract inside the plugin assembly.</item>
/// <item>Garbage — random bytes named Garbage.dll; Native — a native executable named Native.dll.</item>
/// </list>
/// </summary>
public sealed class FaultyPluginsFixture : IDisposable
{
    private readonly TempFolder _temp = new("arrakis-faulty");

    public FaultyPluginsFixture()
    {
        var source = _temp.Combine("source");
        Directory.CreateDirectory(source);
        File.WriteAllText(Path.Combine(source, "Directory.Build.props"), $"""
            <Project>
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <EnableDynamicLoading>true</EnableDynamicLoading>
              </PropertyGroup>
              <ItemGroup>
                <Reference Include="Arrakis.Abstractions" HintPath="{Repo.AbstractionsDll}" Private="false" />
              </ItemGroup>
            </Project>
            """);

        Project(source, "Faulty.Contracts", """
            namespace Faulty.Contracts;
            [Arrakis.Tool("probe")] public interface IProbe { string Probe(); }
            [Arrakis.Tool("throws")] public interface IThrows { string Probe(); }
            [Arrakis.Tool("needs-helper")] public interface INeedsHelper { string Probe(); }
            [Arrakis.Tool("future")] public interface IFuture { string Probe(); }
            [Arrakis.Tool("no-api")] public interface INoApi { string Probe(); }
            [Arrakis.Tool("twin")] public interface ITwin { string Probe(); }
            [Arrakis.Tool("hangs")] public interface IHangs { string Probe(); }
            """, plugin: false);
        Project(source, "Faulty.Helper", "namespace Faulty.Helper; public sealed class Helper { public string Name => \"helper\"; }", plugin: false);

        const string api = "[assembly: Arrakis.PluginApi(Arrakis.ArrakisVersion.PluginApiMajor, Arrakis.ArrakisVersion.PluginApiMinor)]\n";
        Project(source, "Good", api + "public sealed class Good : Faulty.Contracts.IProbe { public string Probe() => \"good\"; }");
        Project(source, "Throws", api + """
            public sealed class Throws : Faulty.Contracts.IThrows
            {
                public Throws() => throw new InvalidOperationException("boom from the constructor");
                public string Probe() => "unreachable";
            }
            """);
        Project(source, "Hangs", api + """
            public sealed class Hangs : Faulty.Contracts.IHangs
            {
                public Hangs() => Thread.Sleep(20_000);
                public string Probe() => "late";
            }
            """);
        Project(source, "NeedsHelper", api + """
            public sealed class NeedsHelper : Faulty.Contracts.INeedsHelper
            {
                private readonly Faulty.Helper.Helper _helper = new();
                public string Probe() => _helper.Name;
            }
            """, references: ["Faulty.Helper"]);
        Project(source, "FutureApi", "[assembly: Arrakis.PluginApi(2, 0)]\npublic sealed class Future : Faulty.Contracts.IFuture { public string Probe() => \"future\"; }");
        Project(source, "NoApi", "public sealed class NoApi : Faulty.Contracts.INoApi { public string Probe() => \"no api\"; }");
        Project(source, "TwinA", api + "public sealed class TwinA : Faulty.Contracts.ITwin { public string Probe() => \"twin a\"; }");
        Project(source, "TwinB", api + "public sealed class TwinB : Faulty.Contracts.ITwin { public string Probe() => \"twin b\"; }");
        Project(source, "NoTools", api + "public sealed class NotATool { public string Probe() => \"nothing\"; }");
        Project(source, "OwnContract", api + """
            [Arrakis.Tool("own")] public interface IOwn { string Probe(); }
            public sealed class Own : IOwn { public string Probe() => "own"; }
            """);

        File.WriteAllText(Path.Combine(source, "faulty.slnx"),
            "<Solution>\n" + string.Concat(Directory.GetDirectories(source).Order(StringComparer.Ordinal)
                .Select(d => $"  <Project Path=\"{Path.GetFileName(d)}/{Path.GetFileName(d)}.csproj\" />\n")) + "</Solution>\n");
        DotNet.Build(Path.Combine(source, "faulty.slnx"));

        foreach (var name in new[] { "Good", "Throws", "Hangs", "NeedsHelper", "FutureApi", "NoApi", "TwinA", "TwinB", "NoTools", "OwnContract" })
            TempFolder.CopyFolder(Path.Combine(source, name, "bin", "Debug", "net10.0"), Path.Combine(Plugins, name));
        File.Delete(Path.Combine(Plugins, "NeedsHelper", "Faulty.Helper.dll"));

        Directory.CreateDirectory(Path.Combine(Plugins, "Garbage"));
        File.WriteAllBytes(Path.Combine(Plugins, "Garbage", "Garbage.dll"), Enumerable.Range(0, 4096).Select(i => (byte)(i * 7919 % 251)).ToArray());
        Directory.CreateDirectory(Path.Combine(Plugins, "Native"));
        File.Copy(Environment.ProcessPath!, Path.Combine(Plugins, "Native", "Native.dll"));
    }

    /// <summary>The plugins folder (build it once, never change it: tests copy or only read it).</summary>
    public string Plugins => _temp.Combine("plugins");

    private static void Project(string source, string name, string code, bool plugin = true, string[]? references = null)
    {
        var folder = Path.Combine(source, name);
        Directory.CreateDirectory(folder);
        var projectReferences = (plugin ? ["Faulty.Contracts", .. references ?? []] : references ?? [])
            .Select(r => $"<ProjectReference Include=\"../{r}/{r}.csproj\" />");
        File.WriteAllText(Path.Combine(folder, name + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <ItemGroup>{string.Concat(projectReferences)}</ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(folder, name + ".cs"), code);
    }

    public void Dispose() => _temp.Dispose();
}
