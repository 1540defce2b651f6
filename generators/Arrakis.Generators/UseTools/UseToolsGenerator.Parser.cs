using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using Arrakis.Generators.Common;
using Arrakis.Generators.Diagnostics;
using Arrakis.Generators.UseTools.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace Arrakis.Generators.UseTools
{
    public sealed partial class UseToolsGenerator
    {
        /// <summary>
        /// Reads a <c>[UseTools]</c> method into an <see cref="ExperimentSpec"/>. Shared by the generator (which passes
        /// no catalogue and no diagnostic list, and emits whatever can be emitted) and by
        /// <see cref="UseToolsAnalyzer"/> (which passes both and reports every problem).
        /// </summary>
        internal static class Parser
        {
            /// <summary>Fully qualified, with <c>?</c> on nullable reference types: what generated code writes.</summary>
            internal static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
                .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

            /// <summary>Short type names for diagnostic messages.</summary>
            private static readonly SymbolDisplayFormat MessageFormat = SymbolDisplayFormat.MinimallyQualifiedFormat;

            /// <summary>
            /// Parses <paramref name="syntax"/>. Returns null when no callable form can be emitted (not partial, not a
            /// bench, unsupported shape, collision); problems go to <paramref name="diagnostics"/> when given.
            /// </summary>
            /// <param name="catalog">The tool catalogue; null in the generator, which does not check names.</param>
            public static ExperimentSpec? Parse(
                MethodDeclarationSyntax syntax,
                IMethodSymbol method,
                SemanticModel model,
                ToolCatalog? catalog,
                List<Diagnostic>? diagnostics,
                CancellationToken ct)
            {
                AttributeData? useTools = FindAttribute(method, GeneratorInfo.UseToolsAttribute);
                if (useTools is null) return null;

                void Report(DiagnosticDescriptor descriptor, Location location, params object[] args) =>
                    diagnostics?.Add(Diagnostic.Create(descriptor, location, args));

                INamedTypeSymbol type = method.ContainingType;
                bool emittable = true;

                // The containing type and every type around it must be partial, and the type must be a bench.
                foreach (TypeDeclarationSyntax declaration in syntax.Ancestors().OfType<TypeDeclarationSyntax>())
                {
                    if (!declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
                    {
                        Report(Descriptors.TypeNotPartial, declaration.Identifier.GetLocation(), declaration.Identifier.ValueText, method.Name);
                        emittable = false;
                    }
                }
                if (!DerivesFromBench(type))
                {
                    Location where = syntax.Parent is TypeDeclarationSyntax parent ? parent.Identifier.GetLocation() : syntax.Identifier.GetLocation();
                    Report(Descriptors.TypeNotBench, where, type.Name, method.Name);
                    emittable = false;
                }

                // Shapes the callable form cannot forward.
                string? unsupported = method.IsStatic ? "is static; make it an instance method (its tools come from this bench)"
                    : method.IsGenericMethod ? "is generic; make it non-generic or wrap it in a non-generic experiment"
                    : method.ReturnsByRef || method.ReturnsByRefReadonly ? "returns by reference; return a value"
                    : method.Parameters.FirstOrDefault(p => p.RefKind != RefKind.None) is IParameterSymbol byRef
                        ? $"has the by-reference parameter '{byRef.Name}'; pass it by value"
                    : null;
                if (unsupported is not null)
                {
                    Report(Descriptors.UnsupportedMethod, syntax.Identifier.GetLocation(), method.Name, unsupported);
                    emittable = false;
                }

                // Shapes a recorded run cannot keep: each reported at the token that makes it so.
                bool recorded = FindAttribute(method, GeneratorInfo.LogExperimentAttribute) is not null
                    || FindAttribute(method, GeneratorInfo.TestHypothesisAttribute) is not null
                    || FindAttribute(method, GeneratorInfo.ProfileModelAttribute) is not null
                    || FindAttribute(method, GeneratorInfo.PlotResultsAttribute) is not null;
                if (recorded && method.IsAsync && method.ReturnsVoid)
                {
                    SyntaxToken asyncKeyword = syntax.Modifiers.FirstOrDefault(m => m.IsKind(SyntaxKind.AsyncKeyword));
                    Report(Descriptors.UnsupportedMethod, asyncKeyword.GetLocation(), method.Name,
                        "is 'async void': its run would be recorded as finished while it still runs; return Task (or Task<T>) instead");
                    emittable = false;
                }
                if (recorded && method.ReturnType.IsRefLikeType)
                {
                    Report(Descriptors.UnsupportedMethod, syntax.ReturnType.GetLocation(), method.Name,
                        $"returns the ref struct '{method.ReturnType.ToDisplayString(MessageFormat)}', which a recorded run cannot keep; return an array, a Tensor or another ordinary type");
                    emittable = false;
                }
                for (int p = 0; recorded && p < method.Parameters.Length; p++)
                {
                    if (!method.Parameters[p].Type.IsRefLikeType) continue;
                    Report(Descriptors.UnsupportedMethod, ParameterTypeLocation(method.Parameters[p], syntax, p), method.Name,
                        $"has the ref struct parameter '{method.Parameters[p].Name}' ({method.Parameters[p].Type.ToDisplayString(MessageFormat)}), which a recorded run cannot keep; pass an array or a Tensor");
                    emittable = false;
                }

                // Tool names: constant, distinct, known, each received by one of the last parameters in order.
                var names = new List<(string Name, Location Location)>();
                foreach (ExpressionSyntax expression in ToolNameExpressions(useTools, ct))
                {
                    Optional<object?> constant = model.GetConstantValue(expression, ct);
                    if (!constant.HasValue || constant.Value is not string name)
                    {
                        Report(Descriptors.ToolNameNotConstant, expression.GetLocation());
                        continue;
                    }
                    if (names.Any(n => n.Name == name))
                    {
                        Report(Descriptors.DuplicateTool, expression.GetLocation(), name);
                        continue;
                    }
                    if (!IsValidToolName(name))
                    {
                        Report(Descriptors.InvalidToolName, expression.GetLocation(), name);
                        emittable = false;
                    }
                    names.Add((name, expression.GetLocation()));
                }
                if (names.Count == 0) emittable = false;

                ImmutableArray<IParameterSymbol> parameters = method.Parameters;
                int ordinaryCount = Math.Max(0, parameters.Length - names.Count);
                var tools = new List<ToolSpec>();
                bool optionalTools = false;

                // When the method ends in fewer tool contracts than there are tools, and those contracts are the
                // tools' in order with some left out, blame exactly the tools left out (not the earlier tools whose
                // positions shifted).
                HashSet<int>? missing = MissingToolParameters(names.Select(n => n.Name).ToList(), parameters);
                if (missing is not null)
                {
                    for (int i = 0; i < names.Count; i++)
                    {
                        if (!missing.Contains(i)) continue;
                        INamedTypeSymbol? contract = catalog?.Find(names[i].Name);
                        if (catalog is not null && contract is null || !IsValidToolName(names[i].Name)) continue; // ARK001/ARK013 say it
                        string contractName = contract?.ToDisplayString(MessageFormat) ?? $"the contract marked [Tool(\"{names[i].Name}\")]";
                        Report(Descriptors.ToolWithoutParameter, names[i].Location, names[i].Name, contractName, method.Name);
                    }
                    emittable = false;
                }

                for (int i = 0; i < names.Count; i++)
                {
                    (string name, Location nameLocation) = names[i];
                    if (!IsValidToolName(name)) continue;
                    INamedTypeSymbol? contract = catalog?.Find(name);
                    if (catalog is not null && contract is null)
                    {
                        string? closest = catalog.Closest(name);
                        string known = catalog.Names.Count == 0 ? "none" : string.Join(", ", catalog.Names.Take(12));
                        Report(Descriptors.UnknownTool, nameLocation, name, closest is null ? "." : $"; did you mean '{closest}'?", known);
                    }
                    string contractName = contract?.ToDisplayString(MessageFormat) ?? $"the contract marked [Tool(\"{name}\")]";
                    if (missing is not null) continue;

                    // Tools go to the last parameters in order; with fewer parameters than tools, the first tools
                    // take them, so the message names the tools that were left out.
                    int position = parameters.Length >= names.Count ? parameters.Length - names.Count + i : i;
                    IParameterSymbol? parameter = position < parameters.Length ? parameters[position] : null;
                    bool received = parameter is not null && ToolNameOf(parameter.Type) == name;
                    bool looksLikeTool = parameter is not null
                        && (parameter.Type.TypeKind == TypeKind.Interface || ToolNameOf(parameter.Type) is not null || parameter.Name == name);
                    if (parameter is null || (!received && !looksLikeTool))
                    {
                        Report(Descriptors.ToolWithoutParameter, nameLocation, name, contractName, method.Name);
                        emittable = false;
                        continue;
                    }
                    if (!received && (catalog is null || contract is not null))
                    {
                        Report(Descriptors.ToolParameterWrongType, ParameterTypeLocation(parameter, syntax, position),
                            parameter.Name, name, contractName, parameter.Type.ToDisplayString(MessageFormat));
                    }
                    if (!parameter.Type.IsReferenceType || parameter.Type.TypeKind == TypeKind.Error) emittable = false;
                    if (parameter.HasExplicitDefaultValue)
                    {
                        optionalTools = true;
                        if (!HasOverloadPriority(model.Compilation))
                        {
                            Report(Descriptors.UnsupportedMethod, DefaultValueLocation(parameter, syntax, position), method.Name,
                                $"gives the tool parameter '{parameter.Name}' a default value, which would make the callable form ambiguous without " +
                                "System.Runtime.CompilerServices.OverloadResolutionPriorityAttribute (.NET 9, C# 13); remove the default value");
                            emittable = false;
                        }
                    }
                    tools.Add(new ToolSpec(name, parameter.Type.ToDisplayString(TypeFormat), Escape(parameter.Name)));
                }

                IParameterSymbol[] ordinary = parameters.Take(ordinaryCount).ToArray();
                if (ordinary.Any(p => p.Type.TypeKind == TypeKind.Error) || method.ReturnType.TypeKind == TypeKind.Error) emittable = false;

                var sampleFunctions = new List<IMethodSymbol>();
                HypothesisSpec? hypothesis = ParseHypothesis(method, parameters, ordinaryCount, Report, ct, out bool hypothesisValid, sampleFunctions);
                if (!hypothesisValid) emittable = false;

                // The experiment's name: [LogExperiment(Name = "...")], else {Type}.{Method}.
                string experimentName = DefaultExperimentName(method);
                if (FindAttribute(method, GeneratorInfo.LogExperimentAttribute) is AttributeData log)
                {
                    foreach (KeyValuePair<string, TypedConstant> named in log.NamedArguments)
                    {
                        if (named.Key != "Name" || named.Value.Value is not string given) continue;
                        if (IsValidExperimentName(given))
                        {
                            experimentName = given;
                        }
                        else
                        {
                            Location where = (log.ApplicationSyntaxReference?.GetSyntax(ct) as AttributeSyntax)?.ArgumentList?.Arguments
                                .FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == "Name")?.Expression.GetLocation() ?? syntax.Identifier.GetLocation();
                            Report(Descriptors.InvalidExperimentName, where, given);
                            emittable = false;
                        }
                    }
                }

                // The callable form must not collide with a member that is already there.
                IMethodSymbol? collision = type.GetMembers(method.Name).OfType<IMethodSymbol>().FirstOrDefault(m =>
                    !SymbolEqualityComparer.Default.Equals(m, method)
                    && !IsGenerated(m)
                    && m.Parameters.Length == ordinary.Length
                    && m.Parameters.Zip(ordinary, (a, b) => SymbolEqualityComparer.Default.Equals(a.Type, b.Type)).All(same => same));
                if (collision is not null && names.Count > 0)
                {
                    string signature = $"{method.Name}({string.Join(", ", ordinary.Select(p => p.Type.ToDisplayString(MessageFormat)))})";
                    Report(Descriptors.GeneratedMemberCollides, syntax.Identifier.GetLocation(), signature, type.Name);
                    emittable = false;
                }

                if (!emittable) return null;

                (ReturnKind returnKind, string? resultType) = ClassifyReturn(method);
                return new ExperimentSpec(
                    Type: DescribeType(type),
                    MethodName: Escape(method.Name),
                    Accessibility: AccessibilityText(method.DeclaredAccessibility),
                    ReturnType: method.ReturnsVoid ? "void" : method.ReturnType.ToDisplayString(TypeFormat),
                    ReturnKind: returnKind,
                    ResultType: resultType,
                    Parameters: ordinary.Select(DescribeParameter).ToEquatableArray(),
                    Tools: tools.ToEquatableArray(),
                    Log: FindAttribute(method, GeneratorInfo.LogExperimentAttribute) is not null,
                    ExperimentName: experimentName,
                    Hypothesis: hypothesis,
                    PreferOverload: optionalTools,
                    Profile: FindAttribute(method, GeneratorInfo.ProfileModelAttribute) is { } profile
                        ? profile.ConstructorArguments.FirstOrDefault().Value as int? ?? 1
                        : null,
                    PlotResults: FindAttribute(method, GeneratorInfo.PlotResultsAttribute) is not null,
                    Source: CaptureSource(syntax, sampleFunctions, ct));
            }

            /// <summary>The name in a type's <c>[Tool("name")]</c>, or null when it is not a tool contract.</summary>
            internal static string? ToolNameOf(ITypeSymbol type)
            {
                foreach (AttributeData attribute in type.GetAttributes())
                {
                    if (attribute.AttributeClass?.ToDisplayString() == GeneratorInfo.ToolAttribute
                        && attribute.ConstructorArguments.Length == 1)
                    {
                        return attribute.ConstructorArguments[0].Value as string;
                    }
                }
                return null;
            }

            /// <summary>Whether a member was written by this generator (the analyzer sees generated code too).</summary>
            internal static bool IsGenerated(ISymbol member) => member.GetAttributes().Any(a =>
                a.AttributeClass?.ToDisplayString() == "System.CodeDom.Compiler.GeneratedCodeAttribute"
                && a.ConstructorArguments.Length > 0
                && a.ConstructorArguments[0].Value as string == GeneratorInfo.Name);

            internal static AttributeData? FindAttribute(ISymbol symbol, string fullName) =>
                symbol.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == fullName);

            /// <summary>
            /// A path relative to the project directory, with <c>/</c> separators, so generated code is the same on
            /// every machine. A file outside the project (or no project directory) keeps only its file name.
            /// </summary>
            internal static string RelativePath(string path, string? projectDir)
            {
                string normalized = path.Replace('\\', '/');
                if (!string.IsNullOrEmpty(projectDir))
                {
                    string dir = projectDir!.Replace('\\', '/');
                    if (!dir.EndsWith("/", StringComparison.Ordinal)) dir += "/";
                    if (normalized.StartsWith(dir, StringComparison.Ordinal)) return normalized.Substring(dir.Length);
                }
                int slash = normalized.LastIndexOf('/');
                return slash < 0 ? normalized : normalized.Substring(slash + 1);
            }

            /// <summary>
            /// Full source lines from the comment block just above the method (its doc comment) to its last line,
            /// dedented, trailing spaces removed, joined with <c>\n</c> (what the store shows), and the code version: a
            /// hash of the method's normalised syntax and that of the hypothesis sample functions it names
            /// (<see cref="NormalisedSyntax"/>), so whitespace and comment edits keep the version and an edit of a
            /// sample function changes it.
            /// </summary>
            internal static SourceSpec CaptureSource(MethodDeclarationSyntax syntax, IReadOnlyList<IMethodSymbol> sampleFunctions, CancellationToken ct)
            {
                SourceText text = syntax.SyntaxTree.GetText(ct);
                int first = text.Lines.GetLineFromPosition(syntax.SpanStart).LineNumber;
                int last = text.Lines.GetLineFromPosition(syntax.Span.End).LineNumber;
                while (first > 0 && text.Lines[first - 1].ToString().TrimStart().StartsWith("//", StringComparison.Ordinal)) first--;

                var lines = new List<string>();
                for (int i = first; i <= last; i++) lines.Add(text.Lines[i].ToString().TrimEnd());
                int indent = lines.Where(l => l.Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
                string captured = string.Join("\n", lines.Select(l => l.Length == 0 ? l : l.Substring(indent)));

                int line = text.Lines.GetLineFromPosition(syntax.Identifier.SpanStart).LineNumber + 1;
                var versioned = new StringBuilder(NormalisedSyntax(syntax));
                foreach (IMethodSymbol function in sampleFunctions)
                {
                    foreach (SyntaxReference reference in function.DeclaringSyntaxReferences)
                    {
                        versioned.Append('\n').Append(NormalisedSyntax(reference.GetSyntax(ct)));
                    }
                }
                return new SourceSpec(captured, Hash(versioned.ToString()), syntax.SyntaxTree.FilePath, line);
            }

            /// <summary>The node's tokens separated by single spaces: no whitespace, comments or other trivia.</summary>
            internal static string NormalisedSyntax(SyntaxNode node) =>
                string.Join(" ", node.DescendantTokens(descendIntoTrivia: false).Select(t => t.Text));

            /// <summary><c>{Type}.{Method}</c>, the type with its containing types (a script's implicit class left out).</summary>
            internal static string DefaultExperimentName(IMethodSymbol method)
            {
                var parts = new List<string> { method.Name };
                for (INamedTypeSymbol? t = method.ContainingType; t is not null && !t.IsScriptClass; t = t.ContainingType) parts.Insert(0, t.Name);
                return string.Join(".", parts);
            }

            /// <summary>What the store accepts as an experiment (a folder) name.</summary>
            internal static bool IsValidExperimentName(string name) =>
                name.Trim().Length > 0 && name != "." && name != ".." && name.IndexOfAny(new[] { '/', '\\', '\0' }) < 0;

            internal static string Hash(string text)
            {
                using SHA256 sha = SHA256.Create();
                byte[] digest = sha.ComputeHash(Encoding.UTF8.GetBytes(text));
                var hex = new StringBuilder(12);
                for (int i = 0; i < 6; i++) hex.Append(digest[i].ToString("x2", CultureInfo.InvariantCulture));
                return hex.ToString();
            }

            private static HypothesisSpec? ParseHypothesis(
                IMethodSymbol method,
                ImmutableArray<IParameterSymbol> parameters,
                int ordinaryCount,
                Action<DiagnosticDescriptor, Location, object[]> report,
                CancellationToken ct,
                out bool valid,
                List<IMethodSymbol> sampleFunctions)
            {
                valid = true;
                AttributeData? attribute = FindAttribute(method, GeneratorInfo.TestHypothesisAttribute);
                if (attribute is null || attribute.ConstructorArguments.Length != 2) return null;

                int samples = 100;
                double alpha = 0.05;
                foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
                {
                    if (named.Key == "Samples" && named.Value.Value is int s) samples = s;
                    if (named.Key == "Alpha" && named.Value.Value is double a) alpha = a;
                }

                var arguments = (attribute.ApplicationSyntaxReference?.GetSyntax(ct) as AttributeSyntax)?.ArgumentList?.Arguments;
                Location ArgumentLocation(int index) =>
                    arguments is { } list && list.Count > index ? list[index].Expression.GetLocation() : Location.None;
                Location NamedLocation(string name) =>
                    arguments?.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == name)?.Expression.GetLocation() ?? Location.None;

                // Welch's t-test needs two samples a side for a variance, and a significance level strictly between 0 and 1.
                if (samples < 2)
                {
                    report(Descriptors.InvalidHypothesisSetting, NamedLocation("Samples"),
                        new object[] { "Samples", samples.ToString(CultureInfo.InvariantCulture), "at least 2 (Welch's t-test needs a variance on each side)" });
                    valid = false;
                }
                if (!(alpha > 0 && alpha < 1))
                {
                    report(Descriptors.InvalidHypothesisSetting, NamedLocation("Alpha"),
                        new object[] { "Alpha", alpha.ToString("R", CultureInfo.InvariantCulture), "strictly between 0 and 1" });
                    valid = false;
                }

                IParameterSymbol[] all = parameters.ToArray();
                SampleFunctionSpec? Resolve(int index)
                {
                    string name = attribute.ConstructorArguments[index].Value as string ?? "";
                    IMethodSymbol[] candidates = MembersWithBases(method.ContainingType, name).OfType<IMethodSymbol>().ToArray();
                    if (candidates.Length == 0)
                    {
                        report(Descriptors.HypothesisFunctionMissing, ArgumentLocation(index),
                            new object[] { method.ContainingType.Name, name, ParameterList(all.Take(ordinaryCount)) });
                        return null;
                    }
                    foreach (IMethodSymbol candidate in candidates)
                    {
                        if (candidate.ReturnType.SpecialType != SpecialType.System_Double || candidate.IsGenericMethod) continue;
                        bool takesTools = !Matches(candidate, all, ordinaryCount);
                        if (takesTools && !Matches(candidate, all, all.Length)) continue;
                        sampleFunctions.Add(candidate);
                        return new SampleFunctionSpec(Escape(name), candidate.IsStatic, TakesTools: takesTools);
                    }
                    report(Descriptors.HypothesisFunctionWrongSignature, ArgumentLocation(index),
                        new object[] { name, ParameterList(all.Take(ordinaryCount)), ParameterList(all.Skip(ordinaryCount)) });
                    return null;
                }

                SampleFunctionSpec? nullFunction = Resolve(0);
                SampleFunctionSpec? altFunction = Resolve(1);
                if (!valid) return null;
                return nullFunction is null || altFunction is null ? null : new HypothesisSpec(nullFunction, altFunction, samples, alpha);
            }

            private static bool Matches(IMethodSymbol candidate, IParameterSymbol[] parameters, int count) =>
                candidate.Parameters.Length == count
                && candidate.Parameters.Select((p, i) => p.RefKind == RefKind.None
                    && SymbolEqualityComparer.Default.Equals(p.Type, parameters[i].Type)).All(ok => ok);

            private static string ParameterList(IEnumerable<IParameterSymbol> parameters) =>
                string.Join(", ", parameters.Select(p => $"{p.Type.ToDisplayString(MessageFormat)} {p.Name}"));

            private static IEnumerable<ISymbol> MembersWithBases(INamedTypeSymbol type, string name)
            {
                for (INamedTypeSymbol? t = type; t is not null; t = t.BaseType)
                {
                    foreach (ISymbol member in t.GetMembers(name)) yield return member;
                }
            }

            /// <summary>The expressions naming the tools: each positional argument, or each element of an array argument.</summary>
            private static IEnumerable<ExpressionSyntax> ToolNameExpressions(AttributeData attribute, CancellationToken ct)
            {
                if (attribute.ApplicationSyntaxReference?.GetSyntax(ct) is not AttributeSyntax syntax || syntax.ArgumentList is null) yield break;
                foreach (AttributeArgumentSyntax argument in syntax.ArgumentList.Arguments)
                {
                    if (argument.NameEquals is not null || argument.NameColon is { Name.Identifier.ValueText: not ("tool" or "more") }) continue;
                    IEnumerable<ExpressionSyntax>? elements = argument.Expression switch
                    {
                        ArrayCreationExpressionSyntax array => array.Initializer?.Expressions,
                        ImplicitArrayCreationExpressionSyntax array => array.Initializer.Expressions,
                        CollectionExpressionSyntax collection => collection.Elements.OfType<ExpressionElementSyntax>().Select(e => e.Expression),
                        _ => null,
                    };
                    if (elements is null)
                    {
                        yield return argument.Expression;
                    }
                    else
                    {
                        foreach (ExpressionSyntax element in elements) yield return element;
                    }
                }
            }

            /// <summary>The tool-name rule of <c>ToolAttribute.IsValidName</c>: <c>[a-z][a-z0-9_-]*</c>.</summary>
            internal static bool IsValidToolName(string name) =>
                name.Length > 0 && name[0] >= 'a' && name[0] <= 'z'
                && name.All(c => (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-');

            /// <summary>
            /// The indexes of the tools whose receiving parameter is missing, when the method's trailing tool contracts
            /// are fewer than the tools and match them in order with gaps; otherwise null (the positional checks decide).
            /// </summary>
            private static HashSet<int>? MissingToolParameters(List<string> names, ImmutableArray<IParameterSymbol> parameters)
            {
                var trailing = new List<string>();
                for (int i = parameters.Length - 1; i >= 0 && ToolNameOf(parameters[i].Type) is string tool; i--) trailing.Insert(0, tool);
                if (trailing.Count == 0 || trailing.Count >= names.Count) return null;
                var missing = new HashSet<int>();
                int t = 0;
                for (int i = 0; i < names.Count; i++)
                {
                    if (t < trailing.Count && names[i] == trailing[t]) t++;
                    else missing.Add(i);
                }
                return t == trailing.Count ? missing : null;
            }

            /// <summary>Whether the compilation can mark the callable form preferred (C# 13 overload resolution priority).</summary>
            private static bool HasOverloadPriority(Compilation compilation) =>
                compilation.GetTypeByMetadataName("System.Runtime.CompilerServices.OverloadResolutionPriorityAttribute") is not null
                && compilation is CSharpCompilation { LanguageVersion: >= (LanguageVersion)1300 };

            private static Location DefaultValueLocation(IParameterSymbol parameter, MethodDeclarationSyntax syntax, int position) =>
                position < syntax.ParameterList.Parameters.Count && syntax.ParameterList.Parameters[position].Default is EqualsValueClauseSyntax value
                    ? value.Value.GetLocation()
                    : ParameterTypeLocation(parameter, syntax, position);

            private static Location ParameterTypeLocation(IParameterSymbol parameter, MethodDeclarationSyntax syntax, int position) =>
                position < syntax.ParameterList.Parameters.Count && syntax.ParameterList.Parameters[position].Type is TypeSyntax type
                    ? type.GetLocation()
                    : parameter.Locations.FirstOrDefault() ?? syntax.Identifier.GetLocation();

            private static bool DerivesFromBench(INamedTypeSymbol type)
            {
                for (INamedTypeSymbol? t = type.BaseType; t is not null; t = t.BaseType)
                {
                    if (t.Name == GeneratorInfo.BenchType && t.ContainingNamespace?.ToDisplayString() == GeneratorInfo.BenchNamespace) return true;
                }
                return false;
            }

            private static (ReturnKind, string?) ClassifyReturn(IMethodSymbol method)
            {
                if (method.ReturnsVoid) return (ReturnKind.Void, null);
                if (method.ReturnType is INamedTypeSymbol named && named.ContainingNamespace?.ToDisplayString() == "System.Threading.Tasks")
                {
                    string? argument = named.TypeArguments.Length == 1 ? named.TypeArguments[0].ToDisplayString(TypeFormat) : null;
                    switch (named.MetadataName)
                    {
                        case "Task": return (ReturnKind.Task, null);
                        case "Task`1": return (ReturnKind.TaskOfT, argument);
                        case "ValueTask": return (ReturnKind.ValueTask, null);
                        case "ValueTask`1": return (ReturnKind.ValueTaskOfT, argument);
                    }
                }
                return (ReturnKind.Value, null);
            }

            private static ContainingTypeSpec DescribeType(INamedTypeSymbol type)
            {
                var chain = new List<TypeDeclarationSpec>();
                // A script's types are members of its implicit script class, which the script's own code never names.
                for (INamedTypeSymbol? t = type; t is not null && !t.IsScriptClass; t = t.ContainingType)
                {
                    string keyword = t.IsRecord ? (t.TypeKind == TypeKind.Struct ? "record struct" : "record")
                        : t.TypeKind == TypeKind.Struct ? "struct" : "class";
                    string name = Escape(t.Name) + (t.TypeParameters.Length == 0 ? "" : "<" + string.Join(", ", t.TypeParameters.Select(p => Escape(p.Name))) + ">");
                    chain.Insert(0, new TypeDeclarationSpec(keyword, name));
                }
                string? ns = type.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : null;
                string hint = type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat).Replace("global::", "");
                hint = new string(hint.Select(c => char.IsLetterOrDigit(c) || c == '.' || c == '_' ? c : '_').ToArray());
                return new ContainingTypeSpec(ns, chain.ToEquatableArray(), hint);
            }

            private static ParameterSpec DescribeParameter(IParameterSymbol parameter) => new ParameterSpec(
                Escape(parameter.Name),
                parameter.Type.ToDisplayString(TypeFormat),
                parameter.HasExplicitDefaultValue ? DefaultValue(parameter.Type, parameter.ExplicitDefaultValue) : null,
                parameter.IsParams);

            /// <summary>A default value as a C# expression for the parameter's type.</summary>
            private static string DefaultValue(ITypeSymbol type, object? value)
            {
                if (value is null) return "default";
                ITypeSymbol underlying = type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable
                    ? nullable.TypeArguments[0] : type;
                string literal = value switch
                {
                    float f when float.IsNaN(f) => "float.NaN",
                    float f when float.IsInfinity(f) => f > 0 ? "float.PositiveInfinity" : "float.NegativeInfinity",
                    double d when double.IsNaN(d) => "double.NaN",
                    double d when double.IsInfinity(d) => d > 0 ? "double.PositiveInfinity" : "double.NegativeInfinity",
                    float f => f.ToString("R", CultureInfo.InvariantCulture) + "F",
                    double d => d.ToString("R", CultureInfo.InvariantCulture) + "D",
                    decimal m => m.ToString(CultureInfo.InvariantCulture) + "M",
                    _ => SymbolDisplay.FormatPrimitive(value, quoteStrings: true, useHexadecimalNumbers: false),
                };
                return underlying.TypeKind == TypeKind.Enum ? $"({underlying.ToDisplayString(TypeFormat)})({literal})" : literal;
            }

            private static string AccessibilityText(Accessibility accessibility) => accessibility switch
            {
                Accessibility.Public => "public",
                Accessibility.Internal => "internal",
                Accessibility.Protected => "protected",
                Accessibility.ProtectedOrInternal => "protected internal",
                Accessibility.ProtectedAndInternal => "private protected",
                _ => "private",
            };

            /// <summary>An identifier as it must be written in source (<c>@class</c> for a keyword).</summary>
            internal static string Escape(string name) =>
                SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(name) == SyntaxKind.AwaitKeyword
                    ? "@" + name : name;
        }
    }
}
