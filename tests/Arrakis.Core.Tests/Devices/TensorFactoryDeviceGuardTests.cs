using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Arrakis.Tests.Devices;

/// <summary>
/// The CPU-side guard for the "found at least two devices, cuda:0 and cpu" bug class: every tensor factory call
/// (<c>arange</c>, <c>zeros</c>, <c>ones</c>, <c>tensor</c>, <c>full</c>, <c>empty</c>, <c>rand*</c>, <c>eye</c>,
/// <c>linspace</c>) in library code under <c>src/</c> and <c>plugins/</c> must say where its tensor lives with a
/// <c>device:</c> argument, so a model on CUDA never meets a tensor the library made on the CPU. Calls that are right
/// on the CPU on purpose are listed in <see cref="Allowed"/>, each with its reason.
/// </summary>
public sealed class TensorFactoryDeviceGuardTests
{
    private static readonly HashSet<string> Factories = new(StringComparer.Ordinal)
    {
        "arange", "zeros", "ones", "tensor", "full", "empty", "rand", "randn", "randint", "randperm", "eye", "linspace", "logspace", "as_tensor", "scalar_tensor",
    };

    /// <summary>
    /// Calls allowed without <c>device:</c>, as "file (relative to the repository) | enclosing member | factory". Each
    /// says why the CPU is right there.
    /// </summary>
    private static readonly Dictionary<string, string> Allowed = new(StringComparer.Ordinal)
    {
        // Parameters are created by the constructor and moved with the module (nn.Module.to) in HookedTransformer's constructor.
        ["src/Arrakis.Core/Model/Components/Mlp.cs | Mlp | empty"] = "module parameter: moved with the module",
        ["src/Arrakis.Core/Model/Components/Mlp.cs | Mlp | zeros"] = "module parameter: moved with the module",
        ["src/Arrakis.Core/Model/Components/NormLayer.cs | NormLayer | ones"] = "module parameter: moved with the module",
        ["src/Arrakis.Core/Model/Components/NormLayer.cs | NormLayer | zeros"] = "module parameter: moved with the module",
        ["src/Arrakis.Core/Model/Components/Attention.cs | Attention | empty"] = "module parameter: moved with the module",
        ["src/Arrakis.Core/Model/Components/Attention.cs | Attention | zeros"] = "module parameter: moved with the module",
        ["src/Arrakis.Core/Model/Components/Attention.cs | ReaderLayout | empty"] = "module parameter (W_Q/W_K/W_V storage): moved with the module",
        ["src/Arrakis.Core/Model/Components/PosEmbed.cs | PosEmbed | empty"] = "module parameter: moved with the module",
        ["src/Arrakis.Core/Model/Components/Unembed.cs | Unembed | empty"] = "module parameter: moved with the module",
        ["src/Arrakis.Core/Model/Components/Unembed.cs | Unembed | zeros"] = "module parameter: moved with the module",
        ["src/Arrakis.Core/Model/Components/Embed.cs | Embed | empty"] = "module parameter: moved with the module",
        // Training data batches are generated on the CPU from a seeded host RNG; Trainer moves each batch to the model's device.
        ["src/Arrakis.Core/Training/Tasks/InductionTask.cs | Batch | tensor"] = "training batch built on the host; Trainer moves it",
        ["src/Arrakis.Core/Training/Tasks/InductionTask.cs | RepeatedSequences | tensor"] = "evaluation sequences built on the host; callers move them",
        ["src/Arrakis.Core/Training/Tasks/LanguageTask.cs | Batch | tensor"] = "training batch built on the host; Trainer moves it",
        // `arrakis info` and `arrakis demo` run a CPU smoke computation on purpose.
        ["src/Arrakis.Cli/Commands/InfoCommand.cs | Create | ones"] = "the CPU smoke op that times the first torch call",
        ["src/Arrakis.Cli/Commands/DemoCommand.cs | Create | randint"] = "demo tokens, moved by the demo",
    };

    [Fact]
    public void EveryLibraryTensorFactoryCall_NamesItsDevice_OrIsAllowedWithAReason()
    {
        string root = RepositoryRoot();
        var offenders = new List<string>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (string file in LibraryFiles(root))
        {
            string relative = Path.GetRelativePath(root, file).Replace('\\', '/');
            var tree = CSharpSyntaxTree.ParseText(File.ReadAllText(file), new CSharpParseOptions(documentationMode: DocumentationMode.None), file);
            foreach (var call in tree.GetRoot().DescendantNodes().OfType<InvocationExpressionSyntax>())
            {
                if (FactoryName(call) is not { } name || call.ArgumentList.Arguments.Any(NamesADevice))
                    continue;
                string key = $"{relative} | {EnclosingMember(call)} | {name}";
                if (Allowed.ContainsKey(key))
                {
                    used.Add(key);
                    continue;
                }
                int line = call.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
                offenders.Add($"{relative}:{line} {call} (key \"{key}\")");
            }
        }
        Assert.True(offenders.Count == 0,
            "Tensor factory calls in library code without device: — pass the device of the model or input they serve, or add them to Allowed with a reason:\n" +
            string.Join("\n", offenders));
        // An entry that no longer matches anything must go, so the list cannot hide a future call in the same place.
        Assert.Empty(Allowed.Keys.Except(used));
    }

    [Fact]
    public void TheGuard_CatchesAFactoryCallWithoutDevice()
    {
        // The guard's own parser on a known offender and on its fixed form.
        var bad = CSharpSyntaxTree.ParseText("class C { Tensor M(Tensor s) => s.where(arange(4) < 2, s); }").GetRoot()
            .DescendantNodes().OfType<InvocationExpressionSyntax>().Where(c => FactoryName(c) is not null).ToList();
        var good = CSharpSyntaxTree.ParseText("class C { Tensor M(Tensor s) => s.where(torch.arange(4, device: s.device) < 2, s); }").GetRoot()
            .DescendantNodes().OfType<InvocationExpressionSyntax>().Where(c => FactoryName(c) is not null).ToList();
        Assert.Equal("arange", FactoryName(Assert.Single(bad)));
        Assert.DoesNotContain(Assert.Single(good).ArgumentList.Arguments, a => a.NameColon is null && a.ToString() == "device");
        Assert.Contains(Assert.Single(good).ArgumentList.Arguments, NamesADevice);
        var positional = CSharpSyntaxTree.ParseText("class C { Tensor M(Tensor s) => torch.empty(new long[] { 2 }, ScalarType.Float32, s.device); }").GetRoot()
            .DescendantNodes().OfType<InvocationExpressionSyntax>().Single(c => FactoryName(c) is not null);
        Assert.Contains(positional.ArgumentList.Arguments, NamesADevice);
    }

    /// <summary>
    /// A <c>device:</c> argument, or a positional one that is plainly a device: <c>device</c>, <c>x.device</c>,
    /// <c>model.Device</c>, <c>torch.CPU</c>, <c>CPU</c>, <c>torch.CUDA</c> (syntax only: the guard runs without compiling).
    /// </summary>
    private static bool NamesADevice(ArgumentSyntax argument) =>
        argument.NameColon?.Name.Identifier.Text == "device"
        || (argument.NameColon is null && argument.Expression switch
        {
            IdentifierNameSyntax { Identifier.Text: "device" or "Device" or "CPU" or "CUDA" } => true,
            MemberAccessExpressionSyntax { Name.Identifier.Text: "device" or "Device" or "CPU" or "CUDA" } => true,
            _ => false,
        });

    /// <summary>The factory name of <c>arange(…)</c> or <c>torch.arange(…)</c>; null for anything else (e.g. <c>x.full(…)</c> is not <c>torch.full</c>).</summary>
    private static string? FactoryName(InvocationExpressionSyntax call) => call.Expression switch
    {
        IdentifierNameSyntax id when Factories.Contains(id.Identifier.Text) => id.Identifier.Text,
        MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax { Identifier.Text: "torch" }, Name: var n } when Factories.Contains(n.Identifier.Text) => n.Identifier.Text,
        _ => null,
    };

    private static string EnclosingMember(SyntaxNode node)
    {
        foreach (var ancestor in node.Ancestors())
        {
            switch (ancestor)
            {
                case MethodDeclarationSyntax m: return m.Identifier.Text;
                case ConstructorDeclarationSyntax c: return c.Identifier.Text;
                case PropertyDeclarationSyntax p: return p.Identifier.Text;
                case LocalFunctionStatementSyntax f when f.Ancestors().OfType<MethodDeclarationSyntax>().FirstOrDefault() is { } outer: return outer.Identifier.Text;
                case TypeDeclarationSyntax t: return t.Identifier.Text;
            }
        }
        return "<top>";
    }

    private static IEnumerable<string> LibraryFiles(string root) =>
        new[] { "src", "plugins" }.SelectMany(folder => Directory.EnumerateFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains("/bin/", StringComparison.Ordinal) && !f.Contains("/obj/", StringComparison.Ordinal)
                        && !f.Contains("/content/", StringComparison.Ordinal));   // the plugin template's content is a sample for users

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Arrakis.Plugins.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"No Arrakis.Plugins.sln above {AppContext.BaseDirectory}.");
    }
}
