//! Multi-head attention, as `torch.nn.MultiheadAttention` with `batch_first=True`.

use crate::dtype::DType;
use crate::nn::{Linear, Module, Visit, Visitor, functional as F, init, join_name};
use crate::tensor::Tensor;

/// Multi-head attention over `[N, L, E]` inputs (or unbatched `[L, E]`), as
/// `torch.nn.MultiheadAttention(embed_dim, num_heads, batch_first=True)`, with PyTorch's
/// parameter names `in_proj_weight` `[3E, E]`, `in_proj_bias` `[3E]`, `out_proj.weight`,
/// `out_proj.bias`. [`Module::forward`] is self-attention; [`MultiheadAttention::forward_qkv`]
/// takes separate query, key and value and a mask.
///
/// ```
/// use firebrand::nn::{Module, MultiheadAttention};
/// use firebrand::{DType, Tensor};
/// let mha = MultiheadAttention::new(8, 2);
/// let names: Vec<String> = mha.named_parameters().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]);
/// assert_eq!(mha.forward(&Tensor::randn([3, 5, 8], DType::F32)).shape(), &[3, 5, 8]);
/// ```
pub struct MultiheadAttention {
    /// The query, key and value projections stacked: `[3 * embed_dim, embed_dim]`.
    pub in_proj_weight: Tensor,
    /// Their biases: `[3 * embed_dim]`.
    pub in_proj_bias: Tensor,
    /// The output projection.
    pub out_proj: Linear,
    /// The number of heads (dividing `embed_dim`).
    pub num_heads: usize,
    /// Dropout on the attention weights in training.
    pub dropout: f64,
    /// Training mode.
    pub training: bool,
}

impl MultiheadAttention {
    /// `embed_dim` split into `num_heads` heads, F32, no dropout.
    #[track_caller]
    pub fn new(embed_dim: usize, num_heads: usize) -> MultiheadAttention {
        MultiheadAttention::with_options(embed_dim, num_heads, 0.0, DType::F32)
    }

    /// With attention dropout `dropout` and a float `dtype`. Initialised as PyTorch:
    /// Xavier-uniform input projection, zero biases.
    ///
    /// ```
    /// let mha = firebrand::nn::MultiheadAttention::with_options(4, 4, 0.1, firebrand::DType::F64);
    /// assert_eq!(mha.in_proj_weight.shape(), &[12, 4]);
    /// ```
    #[track_caller]
    pub fn with_options(
        embed_dim: usize,
        num_heads: usize,
        dropout: f64,
        dtype: DType,
    ) -> MultiheadAttention {
        assert!(
            num_heads > 0 && embed_dim.is_multiple_of(num_heads),
            "MultiheadAttention: embed_dim {embed_dim} must be divisible by num_heads {num_heads}"
        );
        let in_proj_weight = Tensor::zeros([3 * embed_dim, embed_dim], dtype);
        init::xavier_uniform_(&in_proj_weight, 1.0);
        let out_proj = Linear::with_dtype(embed_dim, embed_dim, true, dtype);
        if let Some(b) = &out_proj.bias {
            crate::autograd::no_grad(|| b.zero_());
        }
        MultiheadAttention {
            in_proj_weight: in_proj_weight.requires_grad_(true),
            in_proj_bias: Tensor::zeros([3 * embed_dim], dtype).requires_grad_(true),
            out_proj,
            num_heads,
            dropout,
            training: true,
        }
    }

    /// Attention of `query` (`[N, L, E]`) over `key` and `value` (`[N, S, E]`), giving
    /// `[N, L, E]` (unbatched `[L, E]` inputs work too). `attn_mask` (`[L, S]` or
    /// `[N * num_heads, L, S]`) follows PyTorch's module convention: a Bool `true` marks a
    /// position that may NOT be attended; a float mask is added to the scores.
    ///
    /// ```
    /// use firebrand::nn::MultiheadAttention;
    /// use firebrand::{tensor, DType, Tensor};
    /// let mha = MultiheadAttention::new(4, 2);
    /// let q = Tensor::randn([2, 3, 4], DType::F32);
    /// let kv = Tensor::randn([2, 5, 4], DType::F32);
    /// let mask = Tensor::zeros([3, 5], DType::Bool);
    /// assert_eq!(mha.forward_qkv(&q, &kv, &kv, Some(&mask)).shape(), &[2, 3, 4]);
    /// ```
    #[track_caller]
    pub fn forward_qkv(
        &self,
        query: &Tensor,
        key: &Tensor,
        value: &Tensor,
        attn_mask: Option<&Tensor>,
    ) -> Tensor {
        if query.dim() == 2 {
            let batched = |t: &Tensor| t.unsqueeze(0);
            let out = self.forward_qkv(&batched(query), &batched(key), &batched(value), attn_mask);
            return out.squeeze(0);
        }
        let e = self.in_proj_weight.shape()[1];
        assert!(
            query.dim() == 3 && query.shape()[2] == e && key.dim() == 3 && value.dim() == 3,
            "MultiheadAttention: expected [N, L, {e}] query and [N, S, {e}] key and value, got \
             {:?}, {:?}, {:?}",
            query.shape(),
            key.shape(),
            value.shape()
        );
        let project = |x: &Tensor, i: isize| {
            let w = self.in_proj_weight.narrow(0, i * e as isize, e);
            let b = self.in_proj_bias.narrow(0, i * e as isize, e);
            self.split_heads(&F::linear(x, &w, Some(&b)))
        };
        let (q, k, v) = (project(query, 0), project(key, 1), project(value, 2));
        let mask = attn_mask.map(|m| self.sdpa_mask(m, query.shape()[0]));
        let p = if self.training { self.dropout } else { 0.0 };
        let heads = F::scaled_dot_product_attention(&q, &k, &v, mask.as_ref(), p, false, None);
        let (n, l) = (query.shape()[0], query.shape()[1]);
        let merged = heads.transpose(1, 2).reshape([n, l, e]);
        self.out_proj.forward(&merged)
    }

    /// `[N, L, E]` to `[N, H, L, E / H]`.
    fn split_heads(&self, x: &Tensor) -> Tensor {
        let (n, l, e) = (x.shape()[0], x.shape()[1], x.shape()[2]);
        x.reshape([n, l, self.num_heads, e / self.num_heads])
            .transpose(1, 2)
    }

    /// The module's mask in `scaled_dot_product_attention`'s convention and shape.
    fn sdpa_mask(&self, mask: &Tensor, n: usize) -> Tensor {
        let mask = if mask.dtype() == DType::Bool {
            mask.logical_not()
        } else {
            mask.clone()
        };
        if mask.dim() == 3 {
            let (l, s) = (mask.shape()[1], mask.shape()[2]);
            mask.reshape([n, self.num_heads, l, s])
        } else {
            mask
        }
    }
}

impl Visit for MultiheadAttention {
    fn visit(&self, prefix: &str, visitor: &mut dyn Visitor) {
        visitor.parameter(&join_name(prefix, "in_proj_weight"), &self.in_proj_weight);
        visitor.parameter(&join_name(prefix, "in_proj_bias"), &self.in_proj_bias);
        self.out_proj.visit(&join_name(prefix, "out_proj"), visitor);
    }
    fn set_training(&mut self, training: bool) {
        self.training = training;
    }
}

impl Module for MultiheadAttention {
    /// Self-attention: `forward_qkv(x, x, x, None)`.
    #[track_caller]
    fn forward(&self, input: &Tensor) -> Tensor {
        self.forward_qkv(input, input, input, None)
    }
}
