using Arrakis.Sae;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Tests.Sae;

public sealed class SparseAutoencoderTests
{
    [Fact]
    public void Standard_IsReluOfTheCentredAffineMap_AndDecodesLinearly()
    {
        using var sae = SaeTestData.Random(new SaeConfig { DIn = 8, DSae = 20 });
        using var x = randn(5, 8, generator: new Generator(1));
        using var acts = sae.Encode(x);
        using var expected = nn.functional.relu(matmul(x - sae.b_dec, sae.W_enc) + sae.b_enc);
        Assert.True(acts.allclose(expected, rtol: 0, atol: 1e-6));
        using var recons = sae.forward(x);
        using var expectedRecons = matmul(expected, sae.W_dec) + sae.b_dec;
        Assert.True(recons.allclose(expectedRecons, rtol: 0, atol: 1e-5));
    }

    [Fact]
    public void TopK_KeepsExactlyTheKLargestPerToken()
    {
        using var sae = SaeTestData.Random(new SaeConfig { DIn = 8, DSae = 32, Architecture = SaeArchitecture.TopK, K = 4 });
        using var x = randn(6, 8, generator: new Generator(2)) * 5;
        using var acts = sae.Encode(x);
        using var pre = nn.functional.relu(sae.EncodePre(x));
        for (int row = 0; row < 6; row++)
        {
            var kept = acts[row].data<float>().ToArray();
            var all = pre[row].data<float>().ToArray();
            Assert.True(kept.Count(v => v > 0) <= 4);
            float fourth = all.OrderDescending().ElementAt(3);
            for (int i = 0; i < kept.Length; i++)
                Assert.Equal(all[i] >= fourth && all[i] > 0 ? all[i] : 0f, kept[i]);
        }
    }

    [Fact]
    public void JumpRelu_ZeroesPreActivationsAtOrBelowTheThreshold()
    {
        using var sae = SaeTestData.Random(new SaeConfig { DIn = 8, DSae = 16, Architecture = SaeArchitecture.JumpRelu });
        using var x = randn(10, 8, generator: new Generator(4));
        using var pre = sae.EncodePre(x);
        using var acts = sae.Encode(x);
        var p = pre.data<float>().ToArray();
        var a = acts.data<float>().ToArray();
        var t = sae.threshold!.data<float>().ToArray();
        for (int i = 0; i < p.Length; i++)
            Assert.Equal(p[i] > t[i % 16] && p[i] > 0 ? p[i] : 0f, a[i]);
        Assert.Contains(a, v => v > 0);
        Assert.Contains(p.Select((v, i) => (v, i)), e => e.v > 0 && e.v <= t[e.i % 16]);
    }

    [Fact]
    public void WrongWidth_IsRefused_NamingTheShapes()
    {
        using var sae = new SparseAutoencoder(new SaeConfig { DIn = 8, DSae = 16 });
        using var x = zeros(3, 7);
        var e = Assert.Throws<ArgumentException>(() => sae.Encode(x));
        Assert.Contains("[3, 7]", e.Message);
        Assert.Contains("8", e.Message);
    }

    [Fact]
    public void TopKWithoutK_IsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => new SparseAutoencoder(new SaeConfig { DIn = 8, DSae = 16, Architecture = SaeArchitecture.TopK }));
        Assert.Equal("K", e.ParamName);
    }
}
