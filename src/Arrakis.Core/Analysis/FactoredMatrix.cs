using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

/// <summary>
/// A low-rank matrix kept as its factors, AB = A·B, never materialised unless asked (TransformerLens <c>FactoredMatrix</c>).
/// A is [..., ldim, mdim] and B [..., mdim, rdim]; leading dimensions (e.g. layer, head) broadcast. Owns A and B.
/// </summary>
/// <example><code>
/// using var ov = model.OV;                   // [n_layers, n_heads, d_model, d_model], rank d_head
/// var norms = ov.Norm();                     // [n_layers, n_heads]
/// using var head = ov[1][3];                 // layer 1, head 3
/// var (u, s, vh) = head.Svd();               // from the d_head×d_head inner product, not d_model×d_model
/// </code></example>
public sealed class FactoredMatrix : IDisposable
{
    /// <summary>Creates AB from A [..., ldim, mdim] and B [..., mdim, rdim]; takes ownership of both.</summary>
    /// <exception cref="ArgumentException">The inner dimensions differ or a factor has fewer than 2 dimensions.</exception>
    public FactoredMatrix(Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.dim() < 2 || b.dim() < 2)
            throw new ArgumentException($"A [{Dims(a)}] and B [{Dims(b)}] must both be matrices (2 or more dimensions).", nameof(a));
        if (a.shape[^1] != b.shape[^2])
            throw new ArgumentException($"A [{Dims(a)}] and B [{Dims(b)}]: A's last dimension must equal B's second-to-last.", nameof(b));
        A = a.DetachFromDisposeScope();
        B = b.DetachFromDisposeScope();
    }

    /// <summary>The left factor [..., ldim, mdim].</summary>
    public Tensor A { get; }

    /// <summary>The right factor [..., mdim, rdim].</summary>
    public Tensor B { get; }

    /// <summary>Rows of AB.</summary>
    public long LDim => A.shape[^2];

    /// <summary>The inner (rank-bounding) dimension.</summary>
    public long MDim => A.shape[^1];

    /// <summary>Columns of AB.</summary>
    public long RDim => B.shape[^1];

    /// <summary>The shape of AB: broadcast leading dimensions, then [ldim, rdim].</summary>
    public long[] Shape => BatchShape.Concat([LDim, RDim]).ToArray();

    /// <summary>The broadcast leading dimensions.</summary>
    public long[] BatchShape => broadcast_shapes(A.shape[..^2], B.shape[..^2]).ToArray();

    /// <summary>The materialised product AB [..., ldim, rdim] (memory ldim·rdim per matrix).</summary>
    public Tensor AB => A.matmul(B);

    /// <summary>The materialised BA [..., mdim, mdim] (small).</summary>
    public Tensor BA => B.matmul(A);

    /// <summary>The transpose (AB)ᵀ = Bᵀ·Aᵀ, still factored.</summary>
    public FactoredMatrix T => new(B.transpose(-2, -1).clone(), A.transpose(-2, -1).clone());

    /// <summary>The matrices of one leading index (e.g. a layer, then a head): A[i], B[i], broadcasting as needed.</summary>
    public FactoredMatrix this[long index]
    {
        get
        {
            if (BatchShape.Length == 0)
                throw new InvalidOperationException("This factored matrix has no leading (layer/head) dimension to index.");
            long size = BatchShape[0];
            long i = index < 0 ? index + size : index;
            if (i < 0 || i >= size)
                throw new ArgumentOutOfRangeException(nameof(index), index, $"expected an index in [{-size}, {size}).");
            return new FactoredMatrix(Pick(A, i), Pick(B, i));
        }
    }

    /// <summary>AB·M = A·(B·M), still factored. M is [..., rdim, k].</summary>
    public FactoredMatrix MatMul(Tensor right)
    {
        if (right.dim() < 2 || right.shape[^2] != RDim)
            throw new ArgumentException($"Cannot multiply [{string.Join(", ", Shape)}] by [{Dims(right)}].", nameof(right));
        return new FactoredMatrix(A.clone(), B.matmul(right));
    }

    /// <summary>M·AB = (M·A)·B, still factored. M is [..., k, ldim].</summary>
    public FactoredMatrix LeftMatMul(Tensor left)
    {
        if (left.shape[^1] != LDim)
            throw new ArgumentException($"Cannot multiply [{Dims(left)}] by [{string.Join(", ", Shape)}].", nameof(left));
        return new FactoredMatrix(left.matmul(A), B.clone());
    }

    /// <summary>(A₁B₁)·(A₂B₂) = A₁·((B₁A₂)B₂): the inner dimension stays this matrix's mdim.</summary>
    public FactoredMatrix MatMul(FactoredMatrix right)
    {
        ArgumentNullException.ThrowIfNull(right);
        if (right.LDim != RDim)
            throw new ArgumentException($"Cannot multiply [{string.Join(", ", Shape)}] by [{string.Join(", ", right.Shape)}].", nameof(right));
        return new FactoredMatrix(A.clone(), B.matmul(right.A).matmul(right.B));
    }

    /// <summary>(A₁B₁)·(A₂B₂).</summary>
    public static FactoredMatrix operator *(FactoredMatrix left, FactoredMatrix right) => left.MatMul(right);

    /// <summary>
    /// The Frobenius norm ‖AB‖_F [...], computed exactly from the small Gram matrices:
    /// ‖AB‖²_F = Σ (AᵀA) ⊙ (BBᵀ) (both mdim × mdim).
    /// </summary>
    public Tensor Norm()
    {
        using var scope = NewDisposeScope();
        var gramA = A.transpose(-2, -1).matmul(A);
        var gramB = B.matmul(B.transpose(-2, -1));
        return (gramA * gramB).sum([-2L, -1L]).clamp_min(0).sqrt().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Reduced SVD of AB from the factors (TL <c>svd</c>): with A = UₐSₐVₐᵀ and B = U_bS_bV_bᵀ, the mdim×mdim core
    /// SₐVₐᵀU_bS_b = UₘSₘVₘᵀ gives AB = (UₐUₘ)·Sₘ·(VₘᵀV_bᵀ). Returns U [..., ldim, mdim], S [..., mdim], Vh [..., mdim, rdim].
    /// </summary>
    public (Tensor U, Tensor S, Tensor Vh) Svd()
    {
        using var scope = NewDisposeScope();
        var (ua, sa, vha) = linalg.svd(A, fullMatrices: false);
        var (ub, sb, vhb) = linalg.svd(B, fullMatrices: false);
        var core = sa.unsqueeze(-1) * vha.matmul(ub) * sb.unsqueeze(-2);
        var (um, sm, vhm) = linalg.svd(core, fullMatrices: false);
        var u = ua.matmul(um);
        var vh = vhm.matmul(vhb);
        return (u.MoveToOuterDisposeScope(), sm.MoveToOuterDisposeScope(), vh.MoveToOuterDisposeScope());
    }

    /// <summary>The singular values [..., mdim] (descending).</summary>
    public Tensor S
    {
        get
        {
            var (u, s, vh) = Svd();
            u.Dispose();
            vh.Dispose();
            return s;
        }
    }

    /// <summary>
    /// Eigenvalues of a square AB [..., mdim] (complex): the non-zero eigenvalues of AB are those of BA, which is small
    /// (TL <c>eigenvalues</c>).
    /// </summary>
    public Tensor Eigenvalues()
    {
        if (LDim != RDim)
            throw new InvalidOperationException($"Eigenvalues need a square matrix; this one is {LDim}×{RDim}.");
        using var scope = NewDisposeScope();
        return linalg.eigvals(BA).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The same matrix with its rank split evenly between the factors (TL <c>make_even</c>): from AB = U·S·Vh,
    /// A′ = U·√S [..., ldim, mdim] and B′ = √S·Vh [..., mdim, rdim], so A′B′ = AB and both factors carry the singular values
    /// equally (A′ᵀA′ = B′B′ᵀ = S).
    /// </summary>
    public FactoredMatrix MakeEven()
    {
        using var scope = NewDisposeScope();
        var (u, s, vh) = Svd();
        var root = s.sqrt();
        return new FactoredMatrix((u * root.unsqueeze(-2)).MoveToOuterDisposeScope(), (root.unsqueeze(-1) * vh).MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The left factor collapsed away (TL <c>collapse_l</c>): S·Vh [..., mdim, rdim] from AB = U·S·Vh. U has orthonormal
    /// columns, so any product with it on the left keeps norms: ‖AB·x‖ = ‖S·Vh·x‖.
    /// </summary>
    public Tensor CollapseL()
    {
        using var scope = NewDisposeScope();
        var (_, s, vh) = Svd();
        return (s.unsqueeze(-1) * vh).MoveToOuterDisposeScope();
    }

    /// <summary>The right factor collapsed away (TL <c>collapse_r</c>): U·S [..., ldim, mdim] from AB = U·S·Vh; ‖xᵀ·AB‖ = ‖xᵀ·U·S‖.</summary>
    public Tensor CollapseR()
    {
        using var scope = NewDisposeScope();
        var (u, s, _) = Svd();
        return (u * s.unsqueeze(-2)).MoveToOuterDisposeScope();
    }

    /// <summary>The factors (TL <c>pair</c>): (A [..., ldim, mdim], B [..., mdim, rdim]), still owned by this matrix.</summary>
    public (Tensor A, Tensor B) Pair => (A, B);

    /// <summary>
    /// A new leading (broadcast) dimension of size 1 at <paramref name="dim"/> among the leading dimensions (TL
    /// <c>unsqueeze</c>), e.g. OV [layer, head, …].Unsqueeze(0) broadcast against another [1, layer, head, …] pairs every
    /// head with every head. <paramref name="dim"/> counts from the left in [0, leading dims] or from the right when negative.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dim"/> outside the leading dimensions.</exception>
    public FactoredMatrix Unsqueeze(int dim)
    {
        int leading = BatchShape.Length;
        int d = dim < 0 ? dim + leading + 1 : dim;
        if (d < 0 || d > leading)
            throw new ArgumentOutOfRangeException(nameof(dim), dim, $"dim is {dim}; expected a leading position in [{-(leading + 1)}, {leading}] (this matrix has {leading} leading dimensions).");
        using var scope = NewDisposeScope();
        Tensor Expand(Tensor t) => t.expand(BatchShape.Concat(t.shape[^2..]).ToArray()).unsqueeze(d).clone();
        return new FactoredMatrix(Expand(A).MoveToOuterDisposeScope(), Expand(B).MoveToOuterDisposeScope());
    }

    /// <summary>The top-left k×k corner of AB, materialised from A[..., :k, :]·B[..., :, :k] (TL <c>get_corner</c>).</summary>
    public Tensor GetCorner(int k = 3)
    {
        int rows = (int)Math.Min(k, LDim), cols = (int)Math.Min(k, RDim);
        return A[TensorIndex.Ellipsis, TensorIndex.Slice(0, rows), TensorIndex.Colon]
            .matmul(B[TensorIndex.Ellipsis, TensorIndex.Colon, TensorIndex.Slice(0, cols)]);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() => $"FactoredMatrix [{string.Join(", ", Shape)}] (rank ≤ {MDim})";

    private static Tensor Pick(Tensor t, long index) => t.dim() > 2 && t.shape[0] != 1 ? t[index].clone() : t.dim() > 2 ? t[0].clone() : t.clone();

    private static string Dims(Tensor t) => string.Join(", ", t.shape);
}
