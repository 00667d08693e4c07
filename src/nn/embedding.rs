//! The embedding layer.

use crate::dtype::DType;
use crate::nn::{Module, functional as F, init};
use crate::tensor::Tensor;

/// A lookup table of `num_embeddings` vectors of size `embedding_dim`, as
/// `torch.nn.Embedding` (weight initialised N(0, 1)). `forward` takes I64 indices of any
/// shape and appends the embedding dim.
///
/// ```
/// use firebrand::nn::{Embedding, Module};
/// use firebrand::tensor;
/// let emb = Embedding::new(10, 3);
/// assert_eq!(emb.forward(&tensor!([[1, 2], [3, 9]])).shape(), &[2, 2, 3]);
/// ```
#[derive(Module)]
pub struct Embedding {
    /// `[num_embeddings, embedding_dim]`.
    pub weight: Tensor,
}

impl Embedding {
    /// A table in F32.
    pub fn new(num_embeddings: usize, embedding_dim: usize) -> Embedding {
        Embedding::with_dtype(num_embeddings, embedding_dim, DType::F32)
    }

    /// A table of a float `dtype`.
    ///
    /// ```
    /// let emb = firebrand::nn::Embedding::with_dtype(4, 2, firebrand::DType::F64);
    /// assert_eq!(emb.weight.dtype(), firebrand::DType::F64);
    /// ```
    pub fn with_dtype(num_embeddings: usize, embedding_dim: usize, dtype: DType) -> Embedding {
        let weight = Tensor::zeros([num_embeddings, embedding_dim], dtype);
        init::normal_(&weight, 0.0, 1.0);
        Embedding {
            weight: weight.requires_grad_(true),
        }
    }
}

impl Module for Embedding {
    #[track_caller]
    fn forward(&self, input: &Tensor) -> Tensor {
        F::embedding(input, &self.weight)
    }
}
