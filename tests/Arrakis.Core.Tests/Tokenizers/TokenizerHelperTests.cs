using Arrakis.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tests.Tokenizers;

/// <summary>The TransformerLens-style helpers, on GPT-2's tokenizer.</summary>
public class TokenizerHelperTests
{
    private static ArrakisTokenizer Gpt2 => Gpt2TokenizerTests.Gpt2;

    [Fact]
    public void ToTokens_PrependsBosByDefault()
    {
        using var batch = Gpt2.ToTokens("Hello world");
        Assert.Equal(new long[] { 1, 3 }, batch.Tokens.shape);
        Assert.Equal(ScalarType.Int64, batch.Tokens.dtype);
        Assert.Equal(new long[] { 50256, 15496, 995 }, batch.Tokens.data<long>().ToArray());
        Assert.Equal(new long[] { 1, 1, 1 }, batch.AttentionMask.data<long>().ToArray());
        Assert.Equal([3], batch.Lengths);
    }

    [Fact]
    public void ToTokens_WithoutBos()
    {
        using var batch = Gpt2.ToTokens("Hello world", prependBos: false);
        Assert.Equal(new long[] { 15496, 995 }, batch.Tokens.data<long>().ToArray());
    }

    [Fact]
    public void ToTokens_PadsOnTheRightByDefault()
    {
        using var batch = Gpt2.ToTokens(["Hello world", "Hello"]);
        Assert.Equal(new long[] { 2, 3 }, batch.Tokens.shape);
        Assert.Equal(new long[] { 50256, 15496, 995, 50256, 15496, 50256 }, batch.Tokens.data<long>().ToArray());
        Assert.Equal(new long[] { 1, 1, 1, 1, 1, 0 }, batch.AttentionMask.data<long>().ToArray());
        Assert.Equal([3, 2], batch.Lengths);
    }

    [Fact]
    public void ToTokens_PadsOnTheLeftWhenAsked()
    {
        using var batch = Gpt2.ToTokens(["Hello world", "Hello"], prependBos: false, paddingSide: PaddingSide.Left);
        Assert.Equal(new long[] { 15496, 995, 50256, 15496 }, batch.Tokens.data<long>().ToArray());
        Assert.Equal(new long[] { 1, 1, 0, 1 }, batch.AttentionMask.data<long>().ToArray());
        Assert.Equal(PaddingSide.Left, batch.PaddingSide);
    }

    [Fact]
    public void ToTokens_TruncatesToMaxLength()
    {
        using var batch = Gpt2.ToTokens("Hello world, how are you?", maxLength: 4);
        Assert.Equal(new long[] { 50256, 15496, 995, 11 }, batch.Tokens.data<long>().ToArray());
    }

    [Fact]
    public void ToStrTokens_DecodesEachTokenAlone()
    {
        Assert.Equal(["<|endoftext|>", "Hello", " world"], Gpt2.ToStrTokens("Hello world"));
        Assert.Equal(["Hello", " world"], Gpt2.ToStrTokens("Hello world", prependBos: false));
        Assert.Equal(["Hello", " world"], Gpt2.ToStrTokens(new long[] { 15496, 995 }));
        Assert.Equal(["Hello", " world"], Gpt2.ToStrTokens(new List<long> { 15496, 995 }));
        using var batch = Gpt2.ToTokens("Hello world");
        Assert.Equal(["<|endoftext|>", "Hello", " world"], Gpt2.ToStrTokens(batch.Tokens));
        // A character split across byte-level tokens shows as U+FFFD per piece, as in Hugging Face's batch_decode.
        Assert.All(Gpt2.ToStrTokens("👋", prependBos: false), s => Assert.Equal("\uFFFD", s));
    }

    [Fact]
    public void ToString_DecodesIdsAndTensors()
    {
        Assert.Equal("Hello world", Gpt2.ToString(new long[] { 15496, 995 }));
        using var batch = Gpt2.ToTokens(["Hello world", "Hi"], prependBos: false);
        Assert.Equal("Hello world", Gpt2.ToString(batch.Tokens[0]));
        Assert.Equal(["Hello world", "Hi<|endoftext|>"], Gpt2.ToStrings(batch.Tokens));
    }

    [Fact]
    public void ToSingleToken_AcceptsExactlyOneToken()
    {
        Assert.Equal(995, Gpt2.ToSingleToken(" world"));
        var ex = Assert.Throws<ArgumentException>(() => Gpt2.ToSingleToken("Hello world"));
        Assert.Contains("is 2 tokens", ex.Message);
        Assert.Contains("995 ' world'", ex.Message);
        Assert.Throws<ArgumentException>(() => Gpt2.ToSingleToken(""));
    }

    [Fact]
    public void GetTokenPosition_CountsBosAndHonoursMode()
    {
        Assert.Equal(2, Gpt2.GetTokenPosition(" world", "Hello world"));
        Assert.Equal(1, Gpt2.GetTokenPosition(" world", "Hello world", prependBos: false));
        Assert.Equal(2, Gpt2.GetTokenPosition(" world", "Hello world world", TokenPositionMode.First));
        Assert.Equal(3, Gpt2.GetTokenPosition(" world", "Hello world world", TokenPositionMode.Last));
        using var batch = Gpt2.ToTokens("Hello world");
        Assert.Equal(2, Gpt2.GetTokenPosition(995, batch.Tokens));
        Assert.Equal(1, Gpt2.GetTokenPosition(995, new long[] { 15496, 995 }));
        Assert.Contains("does not occur", Assert.Throws<ArgumentException>(() => Gpt2.GetTokenPosition(" moon", "Hello world")).Message);
    }
}
