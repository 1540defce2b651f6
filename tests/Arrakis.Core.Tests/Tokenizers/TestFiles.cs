using System.Text.Json;

namespace Arrakis.Tests.Tokenizers;

internal static class TestFiles
{
    public static string Gpt2 => Path.Combine(AppContext.BaseDirectory, "TestData", "gpt2");
    public static string Gpt2Vocab => Path.Combine(Gpt2, "encoder.json");
    public static string Gpt2Merges => Path.Combine(Gpt2, "vocab.bpe");
    public static string SentencePiece => Path.Combine(AppContext.BaseDirectory, "TestData", "sentencepiece");
    public static string SentencePieceModel => Path.Combine(SentencePiece, "tiny-llama.model");

    public static List<(string Text, int[] Ids)> Reference(string folder)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, "reference.json")));
        return doc.RootElement.EnumerateArray()
            .Select(e => (e.GetProperty("text").GetString()!, e.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()).ToArray()))
            .ToList();
    }
}
