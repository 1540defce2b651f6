using System.Text.RegularExpressions;
using Arrakis.Tokenizers;

namespace Arrakis.Training.Tasks;

/// <summary>One relation of the synthetic world: a prompt template with <c>{E}</c> for the entity, and its possible answers.</summary>
/// <param name="Name">Short name (<c>city</c>, <c>job</c>, <c>color</c>, <c>instrument</c>).</param>
/// <param name="Template">The prompt, e.g. <c>{E} lives in the city of</c>; the answer follows it.</param>
/// <param name="Answers">The values an entity can have.</param>
public sealed record Relation(string Name, string Template, IReadOnlyList<string> Answers)
{
    /// <summary>The prompt for <paramref name="entity"/>.</summary>
    public string Prompt(string entity) => Template.Replace("{E}", entity, StringComparison.Ordinal);
}

/// <summary>A fact: <paramref name="Entity"/>'s value of <paramref name="Relation"/> is <paramref name="Answer"/>.</summary>
public sealed record Fact(string Entity, Relation Relation, string Answer)
{
    /// <summary>The prompt without the answer.</summary>
    public string Prompt => Relation.Prompt(Entity);
}

/// <summary>A prompt whose next token should be <paramref name="Answer"/>; <paramref name="Distractor"/> is the tempting wrong one (IOI's subject).</summary>
public sealed record LabeledPrompt(string Text, string Answer, string? Distractor = null);

/// <summary>A greater-than prompt ending in the century of the end year; any two-digit token above <paramref name="StartYear"/> is valid.</summary>
/// <param name="Text">E.g. <c>The war lasted from the year 1732 to the year 17</c>.</param>
/// <param name="StartYear">The start year's last two digits (32 above).</param>
public sealed record GreaterThanPrompt(string Text, int StartYear);

/// <summary>
/// The fixed synthetic world of the <c>language</c> task: people's names for indirect-object identification, invented
/// entities with facts over four relations, event nouns for greater-than, and filler words. It is a pure function of
/// this file (the default world uses seed 0), so tests and training agree on every fact without any file.
/// </summary>
public sealed class LanguageWorld
{
    /// <summary>The BOS/EOS/padding token.</summary>
    public const string Bos = "<|endoftext|>";

    /// <summary>The unknown token.</summary>
    public const string Unknown = "<unk>";

    /// <summary>IOI prompt templates: {A} and {B} are introduced, {S} (one of them) acts, the answer is the other ({IO}).</summary>
    public static readonly IReadOnlyList<string> IoiTemplates =
    [
        "When {A} and {B} went to the {P}, {S} gave a {O} to",
        "After {A} and {B} arrived at the {P}, {S} handed a {O} to",
        "While {A} and {B} were working at the {P}, {S} passed a {O} to",
        "Then, {A} and {B} had a long talk at the {P}. {S} offered a {O} to",
        "{A} and {B} walked into the {P}. {S} showed a {O} to",
        "Once {A} and {B} met at the {P}, {S} sent a {O} to",
    ];

    /// <summary>The greater-than template: the answer is the end year's last two digits.</summary>
    public const string GreaterThanTemplate = "The {N} lasted from the year {C}{Y} to the year {C}";

    /// <summary>Filler sentence templates ({Name}, {Adj}, {Noun}, {Noun2}, {P}).</summary>
    public static readonly IReadOnlyList<string> FillerTemplates =
    [
        "{Name} likes the {Adj} {Noun}.",
        "The {Adj} {Noun} is near the {P}.",
        "{Name} saw a {Adj} {Noun} at the {P}.",
        "It was a {Adj} day in the {P}.",
        "The {Noun} and the {Noun2} are {Adj}.",
    ];

    private static readonly string[] PersonNames =
    [
        "Mary", "John", "Alice", "Bob", "Tom", "Anna", "James", "Sarah", "David", "Laura", "Peter", "Emma", "Paul", "Kate",
        "Mark", "Lucy", "Daniel", "Rose", "Henry", "Clara", "Oscar", "Nina", "Victor", "Jane", "Leo", "Ruth", "Adam", "Eva",
        "Simon", "Iris", "Hugo", "Mia", "Felix", "Zoe", "Ivan", "Lily", "Owen", "Ada", "Carl", "Tess",
    ];

    private static readonly string[] PlaceWords = ["store", "park", "school", "office", "station", "market", "garden", "beach", "library", "cafe"];
    private static readonly string[] ObjectWords = ["drink", "book", "ball", "letter", "gift", "key", "ring", "bag", "flower", "coin", "cake", "hat"];
    private static readonly string[] EventWords = ["war", "siege", "drought", "dynasty", "expedition", "festival", "journey", "reign", "plague", "voyage", "famine", "rebellion"];
    private static readonly string[] AdjectiveWords = ["big", "small", "tall", "new", "happy", "quiet", "bright", "dark", "warm", "cold", "soft", "loud"];
    private static readonly string[] NounWords = ["cat", "dog", "tree", "house", "car", "river", "hill", "bird", "chair", "lamp", "boat", "horse"];

    private static readonly string[] EntitySyllables =
    [
        "zor", "blat", "quen", "vik", "dra", "mox", "tel", "fin", "gru", "sab", "nor", "kel", "vash", "pim", "rul", "tak",
        "wen", "zul", "bek", "jor", "lum", "thra", "gos", "yen",
    ];

    private readonly HashSet<(string, string)> _heldOut;

    private LanguageWorld(int seed)
    {
        Seed = seed;
        var random = new SeededRandom(seed, 0x57_0A1D);
        Names = PersonNames;
        Places = PlaceWords;
        Objects = ObjectWords;
        EventNouns = EventWords;
        Adjectives = AdjectiveWords;
        Nouns = NounWords;
        Relations =
        [
            new Relation("city", "{E} lives in the city of",
                ["Paris", "London", "Tokyo", "Cairo", "Lima", "Oslo", "Rome", "Delhi", "Sydney", "Boston", "Madrid", "Vienna", "Dublin", "Nairobi", "Seoul", "Quito"]),
            new Relation("job", "{E} works as a",
                ["baker", "doctor", "farmer", "pilot", "teacher", "painter", "lawyer", "sailor", "singer", "miner", "tailor", "nurse"]),
            new Relation("color", "The favorite color of {E} is",
                ["red", "blue", "green", "yellow", "purple", "orange", "black", "white", "brown", "pink"]),
            new Relation("instrument", "{E} plays the",
                ["piano", "violin", "drum", "flute", "guitar", "harp", "trumpet", "cello"]),
        ];

        var reserved = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var w in PersonNames.Concat(PlaceWords).Concat(ObjectWords).Concat(EventWords).Concat(AdjectiveWords).Concat(NounWords)
                     .Concat(Relations.SelectMany(r => r.Answers)))
            reserved.Add(w);
        var candidates = (from a in EntitySyllables from b in EntitySyllables where a != b select char.ToUpperInvariant(a[0]) + a[1..] + b)
            .Where(w => !reserved.Contains(w)).ToList();
        random.Shuffle(candidates);
        Entities = candidates.Take(EntityCount).ToList();

        var facts = new List<Fact>();
        foreach (var relation in Relations)
            foreach (var entity in Entities)
                facts.Add(new Fact(entity, relation, random.Pick(relation.Answers)));
        Facts = facts;

        // Hold out a fifth of the unordered name pairs: they never appear together in a training IOI sentence.
        var pairs = new List<(string, string)>();
        for (int i = 0; i < Names.Count; i++)
            for (int j = i + 1; j < Names.Count; j++)
                pairs.Add((Names[i], Names[j]));
        random.Shuffle(pairs);
        int heldOutCount = pairs.Count / 5;
        HeldOutPairs = pairs.Take(heldOutCount).ToList();
        TrainingPairs = pairs.Skip(heldOutCount).ToList();
        _heldOut = new HashSet<(string, string)>(HeldOutPairs);

        Tokenizer = BuildTokenizer();
    }

    /// <summary>Number of invented entities (each has one fact per relation).</summary>
    public const int EntityCount = 80;

    /// <summary>The world of seed 0: the one the shipped <c>gpt2-mini-language</c> model was trained on.</summary>
    public static LanguageWorld Default { get; } = new(0);

    /// <summary>The seed that chose the facts and the held-out pairs.</summary>
    public int Seed { get; }

    /// <summary>People's names (IOI and filler).</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>IOI places.</summary>
    public IReadOnlyList<string> Places { get; }

    /// <summary>IOI objects.</summary>
    public IReadOnlyList<string> Objects { get; }

    /// <summary>Greater-than event nouns.</summary>
    public IReadOnlyList<string> EventNouns { get; }

    /// <summary>Filler adjectives.</summary>
    public IReadOnlyList<string> Adjectives { get; }

    /// <summary>Filler nouns.</summary>
    public IReadOnlyList<string> Nouns { get; }

    /// <summary>The invented entities (one token each, e.g. <c>Zorblat</c>).</summary>
    public IReadOnlyList<string> Entities { get; }

    /// <summary>The four relations.</summary>
    public IReadOnlyList<Relation> Relations { get; }

    /// <summary>Every fact (entities × relations).</summary>
    public IReadOnlyList<Fact> Facts { get; }

    /// <summary>Unordered name pairs that never appear together in a training IOI sentence.</summary>
    public IReadOnlyList<(string A, string B)> HeldOutPairs { get; }

    /// <summary>Unordered name pairs used in training IOI sentences.</summary>
    public IReadOnlyList<(string A, string B)> TrainingPairs { get; }

    /// <summary>The vocabulary of every sentence this world can produce.</summary>
    public WordLevelTokenizer Tokenizer { get; }

    /// <summary>Whether the unordered pair {a, b} is held out of training.</summary>
    public bool IsHeldOut(string a, string b) => _heldOut.Contains((a, b)) || _heldOut.Contains((b, a));

    /// <summary>An IOI prompt for the pair (<paramref name="a"/> first), subject <paramref name="subject"/>; the answer is the other name.</summary>
    public LabeledPrompt IoiPrompt(int template, string a, string b, string subject, string place, string obj)
    {
        string io = subject == a ? b : subject == b ? a : throw new ArgumentException($"The subject '{subject}' must be '{a}' or '{b}'.", nameof(subject));
        string text = IoiTemplates[template].Replace("{A}", a).Replace("{B}", b).Replace("{S}", subject).Replace("{P}", place).Replace("{O}", obj);
        return new LabeledPrompt(text, io, subject);
    }

    /// <summary>A random IOI prompt from the training pairs or the held-out ones (either name order, either subject).</summary>
    public LabeledPrompt RandomIoiPrompt(SeededRandom random, bool heldOut)
    {
        var (x, y) = random.Pick(heldOut ? HeldOutPairs : TrainingPairs);
        var (a, b) = random.Next(2) == 0 ? (x, y) : (y, x);
        string subject = random.Next(2) == 0 ? a : b;
        return IoiPrompt(random.Next(IoiTemplates.Count), a, b, subject, random.Pick(Places), random.Pick(Objects));
    }

    /// <summary>A random greater-than prompt: start year YY in [2, 97], century 11–18.</summary>
    public GreaterThanPrompt RandomGreaterThanPrompt(SeededRandom random)
    {
        int century = random.Next(11, 19);
        int start = random.Next(2, 98);
        string text = GreaterThanTemplate.Replace("{N}", random.Pick(EventNouns)).Replace("{C}", century.ToString("D2")).Replace("{Y}", start.ToString("D2"));
        return new GreaterThanPrompt(text, start);
    }

    /// <summary>One training sentence (ending in "."), of the kind chosen by the mixture IOI 30%, facts 35%, greater-than 20%, filler 15%.</summary>
    public string RandomSentence(SeededRandom random)
    {
        double u = random.NextDouble();
        if (u < 0.30)
        {
            var p = RandomIoiPrompt(random, heldOut: false);
            return $"{p.Text} {p.Answer}.";
        }
        if (u < 0.65)
        {
            var f = random.Pick(Facts);
            return $"{f.Prompt} {f.Answer}.";
        }
        if (u < 0.85)
        {
            var g = RandomGreaterThanPrompt(random);
            int end = random.Next(g.StartYear + 1, 100);
            return $"{g.Text}{end:D2}.";
        }
        string filler = random.Pick(FillerTemplates);
        string noun = random.Pick(Nouns);
        string noun2 = random.Pick(Nouns.Where(n => n != noun).ToList());
        return filler.Replace("{Name}", random.Pick(Names)).Replace("{Adj}", random.Pick(Adjectives))
            .Replace("{Noun2}", noun2).Replace("{Noun}", noun).Replace("{P}", random.Pick(Places));
    }

    private WordLevelTokenizer BuildTokenizer()
    {
        var pieces = new SortedSet<string>(StringComparer.Ordinal);
        var split = new Regex(WordLevelTokenizer.DefaultPattern, RegexOptions.CultureInvariant);
        void Add(string text)
        {
            foreach (Match m in split.Matches(Regex.Replace(text, @"\{[A-Za-z0-9]+\}", " ")))
                pieces.Add(m.Value);
        }
        foreach (var t in IoiTemplates.Concat(FillerTemplates).Append(GreaterThanTemplate).Concat(Relations.Select(r => r.Template)))
            Add(t);
        foreach (var w in Names.Concat(Places).Concat(Objects).Concat(EventNouns).Concat(Adjectives).Concat(Nouns).Concat(Entities)
                     .Concat(Relations.SelectMany(r => r.Answers)))
            Add(w);
        Add(".");
        for (int i = 0; i < 100; i++)
            pieces.Add(i.ToString("D2"));
        var tokens = new List<string> { Bos, Unknown };
        tokens.AddRange(pieces);
        return WordLevelTokenizer.Create(tokens, Unknown, [Bos]);
    }
}
