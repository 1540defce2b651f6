namespace Arrakis.StoreWriter;

/// <summary>The payload of each record: long enough (about 6 KB, recorded twice) that one record spans several pages.</summary>
public static class WriterPayload
{
    /// <summary>A deterministic payload for record <paramref name="index"/> of <paramref name="writer"/>.</summary>
    public static string For(string writer, int index) =>
        string.Concat(Enumerable.Repeat($"{writer}:{index:D5};", 6000 / (writer.Length + 7)));
}
