//! Scaled dot-product attention, as `torch.nn.functional.scaled_dot_product_attention`
//! (PyTorch's reference "math" formulation): `softmax(q k^T * scale + mask) v`.
//!
//! Composed from `matmul`, the fused stable `softmax` and `masked_fill`, so the derivative with
//! respect to the query, key, value and a float mask comes from autograd.

use crate::dtype::DType;
use crate::error::{Error, Result, or_panic};
use crate::ops::dropout::try_dropout;
use crate::tensor::Tensor;

/// Attention of queries `q` (`[.., L, E]`) over keys `k` (`[.., S, E]`) and values `v`
/// (`[.., S, Ev]`), giving `[.., L, Ev]`; batch dims broadcast. `attn_mask` (broadcast to
/// `[.., L, S]`) is either Bool, where `true` marks the positions that may be attended, or
/// float, added to the scores. `is_causal` lets position `i` attend only to `j <= i` (and
/// excludes `attn_mask`). `dropout_p` drops attention weights (always applied, as PyTorch's
/// functional form); `scale` defaults to `1 / sqrt(E)`.
///
/// ```
/// use firebrand::{nn::functional as F, tensor};
/// let q = tensor!([[1.0, 0.0], [0.0, 1.0]]);
/// let v = tensor!([[1.0], [3.0]]);
/// let y = F::scaled_dot_product_attention(&q, &q, &v, None, 0.0, true, None);
/// let w = 1.0 / (1.0 + (-1f32 / 2f32.sqrt()).exp());
/// let got = y.to_vec::<f32>();
/// assert_eq!(got[0], 1.0);
/// assert!((got[1] - (1.0 - w + 3.0 * w)).abs() < 1e-6);
/// ```
#[track_caller]
pub fn scaled_dot_product_attention(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    attn_mask: Option<&Tensor>,
    dropout_p: f64,
    is_causal: bool,
    scale: Option<f64>,
) -> Tensor {
    or_panic(try_scaled_dot_product_attention(
        q, k, v, attn_mask, dropout_p, is_causal, scale,
    ))
}

/// [`scaled_dot_product_attention`] returning an error instead of panicking.
///
/// ```
/// use firebrand::{nn::functional as F, DType, Tensor};
/// let q = Tensor::zeros([2, 4], DType::F32);
/// let k = Tensor::zeros([3, 5], DType::F32);
/// assert!(F::try_scaled_dot_product_attention(&q, &k, &k, None, 0.0, false, None).is_err());
/// ```
pub fn try_scaled_dot_product_attention(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    attn_mask: Option<&Tensor>,
    dropout_p: f64,
    is_causal: bool,
    scale: Option<f64>,
) -> Result<Tensor> {
    const OP: &str = "scaled_dot_product_attention";
    check_shapes(OP, q, k, v)?;
    if is_causal && attn_mask.is_some() {
        return Err(Error::msg(format!(
            "{OP}: pass either attn_mask or is_causal, not both"
        )));
    }
    let e = q.shape()[q.dim() - 1];
    let scale = scale.unwrap_or(1.0 / (e as f64).sqrt());
    let scores = q.try_matmul(&k.transpose(-2, -1))? * scale;
    let (l, s) = (q.shape()[q.dim() - 2], k.shape()[k.dim() - 2]);
    let scores = match (attn_mask, is_causal) {
        (_, true) => scores.try_masked_fill(&causal_mask(l, s).logical_not(), f64::NEG_INFINITY)?,
        (Some(m), _) if m.dtype() == DType::Bool => {
            scores.try_masked_fill(&m.logical_not(), f64::NEG_INFINITY)?
        }
        (Some(m), _) => scores.try_add(m)?,
        (None, false) => scores,
    };
    let weights = scores.try_softmax(-1)?;
    let weights = if dropout_p > 0.0 {
        try_dropout(&weights, dropout_p, true)?
    } else {
        weights
    };
    weights.try_matmul(v)
}

fn check_shapes(op: &str, q: &Tensor, k: &Tensor, v: &Tensor) -> Result<()> {
    let bad = |why: &str| {
        Err(Error::msg(format!(
            "{op}: {why}; got q {:?}, k {:?}, v {:?} (expected [.., L, E], [.., S, E], [.., S, Ev])",
            q.shape(),
            k.shape(),
            v.shape()
        )))
    };
    if q.dim() < 2 || k.dim() < 2 || v.dim() < 2 {
        return bad("q, k and v need at least 2 dims");
    }
    if !q.dtype().is_float() || q.dtype() != k.dtype() || q.dtype() != v.dtype() {
        return bad("q, k and v must share one float dtype");
    }
    if q.shape()[q.dim() - 1] != k.shape()[k.dim() - 1] {
        return bad("q and k must have the same last dim E");
    }
    if k.shape()[k.dim() - 2] != v.shape()[v.dim() - 2] {
        return bad("k and v must have the same sequence length S");
    }
    Ok(())
}

/// `[L, S]`, true where `j <= i` (lower triangle, as `torch.ones(L, S).tril()`).
fn causal_mask(l: usize, s: usize) -> Tensor {
    let rows = Tensor::arange(0.0, l as f64, 1.0, DType::I64).unsqueeze(1);
    let cols = Tensor::arange(0.0, s as f64, 1.0, DType::I64).unsqueeze(0);
    rows.ge(&cols)
}
