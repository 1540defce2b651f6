using System;
using System.Collections.Generic;
using System.Linq;
using Arrakis.Util;
using Microsoft.CodeAnalysis;

namespace Arrakis.Generators.Diagnostics
{
    /// <summary>
    /// The compile-time tool catalogue: every <c>[Tool("name")]</c> contract visible to a compilation, declared in
    /// the project itself or in a referenced assembly that references Arrakis.Abstractions. Built once per
    /// compilation by the analyzer, and only when it meets a <c>[UseTools]</c> method.
    /// </summary>
    internal sealed class ToolCatalog
    {
        private const string AbstractionsAssembly = "Arrakis.Abstractions";

        private readonly Dictionary<string, INamedTypeSymbol> _contracts;

        private ToolCatalog(Dictionary<string, INamedTypeSymbol> contracts) => _contracts = contracts;

        /// <summary>The known tool names, in ordinal order.</summary>
        public IReadOnlyList<string> Names => _contracts.Keys.OrderBy(n => n, StringComparer.Ordinal).ToList();

        /// <summary>The contract marked <c>[Tool(name)]</c>, or null when no visible contract has that name.</summary>
        public INamedTypeSymbol? Find(string name) => _contracts.TryGetValue(name, out var contract) ? contract : null;

        /// <summary>The known name closest to <paramref name="name"/> by edit distance, or null when none is close.</summary>
        public string? Closest(string name)
        {
            string? best = NameSuggestions.Closest(name, Names, count: 1).FirstOrDefault();
            return best is not null && NameSuggestions.Distance(name, best) <= Math.Max(2, name.Length / 2) ? best : null;
        }

        public static ToolCatalog Build(Compilation compilation)
        {
            var contracts = new Dictionary<string, INamedTypeSymbol>(StringComparer.Ordinal);
            Collect(compilation.Assembly.GlobalNamespace, contracts, publicOnly: false);
            foreach (IAssemblySymbol assembly in compilation.SourceModule.ReferencedAssemblySymbols)
            {
                bool mayDeclareTools = assembly.Name == AbstractionsAssembly
                    || assembly.Modules.Any(m => m.ReferencedAssemblies.Any(r => r.Name == AbstractionsAssembly));
                if (mayDeclareTools) Collect(assembly.GlobalNamespace, contracts, publicOnly: true);
            }
            return new ToolCatalog(contracts);
        }

        private static void Collect(INamespaceOrTypeSymbol container, Dictionary<string, INamedTypeSymbol> contracts, bool publicOnly)
        {
            foreach (ISymbol member in container.GetMembers())
            {
                if (member is INamespaceSymbol ns)
                {
                    Collect(ns, contracts, publicOnly);
                }
                else if (member is INamedTypeSymbol type && (!publicOnly || type.DeclaredAccessibility == Accessibility.Public))
                {
                    if (type.TypeKind == TypeKind.Interface && UseTools.UseToolsGenerator.Parser.ToolNameOf(type) is string name
                        && !contracts.ContainsKey(name))
                    {
                        contracts.Add(name, type);
                    }
                    Collect(type, contracts, publicOnly);
                }
            }
        }
    }
}
