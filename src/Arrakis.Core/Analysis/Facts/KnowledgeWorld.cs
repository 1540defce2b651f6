using Arrakis.Training.Tasks;

namespace Arrakis.Facts;

/// <summary>A relation to query: a name and a prompt template with <c>{S}</c> for the subject; the object is the next token.</summary>
public sealed record KgRelation(string Name, string Template)
{
    /// <summary>The prompt for <paramref name="subject"/>.</summary>
    public string Prompt(string subject) => Template.Replace("{S}", subject, StringComparison.Ordinal);
}

/// <summary>A (subject, relation, object) triple.</summary>
public sealed record Triple(string Subject, string Relation, string Obj);

/// <summary>What to extract: subjects × relations, and optionally the reference triples to score against.</summary>
/// <param name="Subjects">The subjects.</param>
/// <param name="Relations">The relations with their templates.</param>
/// <param name="Reference">The true triples, or <c>null</c>.</param>
public sealed record KnowledgeWorld(IReadOnlyList<string> Subjects, IReadOnlyList<KgRelation> Relations, IReadOnlyList<Triple>? Reference = null)
{
    /// <summary>The synthetic world of <c>gpt2-mini-language</c>: its 80 entities, 4 relations and 320 facts as the reference.</summary>
    public static KnowledgeWorld From(LanguageWorld world)
    {
        ArgumentNullException.ThrowIfNull(world);
        return new KnowledgeWorld(world.Entities,
            world.Relations.Select(r => new KgRelation(r.Name, r.Template.Replace("{E}", "{S}", StringComparison.Ordinal))).ToList(),
            world.Facts.Select(f => new Triple(f.Entity, f.Relation.Name, f.Answer)).ToList());
    }
}
