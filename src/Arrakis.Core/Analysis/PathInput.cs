namespace Arrakis;

/// <summary>Which inputs of a receiving head a patched path may enter (combine with |).</summary>
[Flags]
public enum PathInput
{
    /// <summary>The receiver's query input.</summary>
    Query = 1,

    /// <summary>The receiver's key input (shared by the query heads of its key/value group under GQA).</summary>
    Key = 2,

    /// <summary>The receiver's value input (shared by its key/value group under GQA).</summary>
    Value = 4,

    /// <summary>All three.</summary>
    All = Query | Key | Value,
}
