//! Embedding lookup and one-hot encoding, as `torch.nn.functional`.
//!
//! `embedding` is an `index_select` of the weight's rows, so its gradient with respect to the
//! weight is the scatter-add of the output gradient into those rows (repeated indices add up).

use crate::dtype::DType;
use crate::error::{Error, Result, or_panic};
use crate::tensor::Tensor;

/// The rows of `weight` (`[num_embeddings, embedding_dim]`) named by `indices` (I64 or I32,
/// any shape): the result has shape `indices.shape() + [embedding_dim]`, as `F.embedding`.
///
/// ```
/// use firebrand::{nn::functional as F, tensor};
/// let weight = tensor!([[0.0, 0.5], [1.0, 1.5], [2.0, 2.5]]);
/// let y = F::embedding(&tensor!([[2, 0]]), &weight);
/// assert_eq!(y.shape(), &[1, 2, 2]);
/// assert_eq!(y.to_vec::<f32>(), vec![2.0, 2.5, 0.0, 0.5]);
/// ```
#[track_caller]
pub fn embedding(indices: &Tensor, weight: &Tensor) -> Tensor {
    or_panic(try_embedding(indices, weight))
}

/// [`embedding`] returning an error (float indices, index out of range, weight not 2-D).
///
/// ```
/// use firebrand::{nn::functional as F, tensor};
/// let weight = tensor!([[0.0], [1.0]]);
/// assert!(F::try_embedding(&tensor!([2]), &weight).is_err());
/// assert!(F::try_embedding(&tensor!([0.0]), &weight).is_err());
/// ```
pub fn try_embedding(indices: &Tensor, weight: &Tensor) -> Result<Tensor> {
    if weight.dim() != 2 {
        return Err(Error::msg(format!(
            "embedding: weight must be 2-D [num_embeddings, embedding_dim], got shape {:?}",
            weight.shape()
        )));
    }
    require_index_dtype("embedding", indices)?;
    let rows = weight.try_index_select(0, &indices.reshape([-1]))?;
    let mut shape = indices.shape().to_vec();
    shape.push(weight.shape()[1]);
    Ok(rows.reshape(shape))
}

fn require_index_dtype(op: &str, indices: &Tensor) -> Result<()> {
    if !matches!(indices.dtype(), DType::I64 | DType::I32) {
        return Err(Error::msg(format!(
            "{op}: expected I64 (or I32) indices, got {}; convert them with to_dtype(DType::I64)",
            indices.dtype()
        )));
    }
    Ok(())
}

/// One-hot encoding of class indices, as `F.one_hot`: an I64 tensor of shape
/// `indices.shape() + [num_classes]` with a 1 at each index. `num_classes = -1` (PyTorch's
/// default) takes one more than the largest index.
///
/// ```
/// use firebrand::{nn::functional as F, tensor};
/// let y = F::one_hot(&tensor!([0, 2]), -1);
/// assert_eq!(y.shape(), &[2, 3]);
/// assert_eq!(y.to_vec::<i64>(), vec![1, 0, 0, 0, 0, 1]);
/// ```
#[track_caller]
pub fn one_hot(indices: &Tensor, num_classes: i64) -> Tensor {
    or_panic(try_one_hot(indices, num_classes))
}

/// [`one_hot`] returning an error (negative or too large index, float indices).
///
/// ```
/// use firebrand::{nn::functional as F, tensor};
/// assert!(F::try_one_hot(&tensor!([3]), 3).is_err());
/// assert!(F::try_one_hot(&tensor!([-1]), -1).is_err());
/// ```
pub fn try_one_hot(indices: &Tensor, num_classes: i64) -> Result<Tensor> {
    const OP: &str = "one_hot";
    require_index_dtype(OP, indices)?;
    let values = indices.to_dtype(DType::I64).to_vec::<i64>();
    let largest = values.iter().copied().max();
    let classes = match (num_classes, largest) {
        (-1, Some(m)) => m + 1,
        (-1, None) => {
            return Err(Error::msg(
                "one_hot: cannot infer num_classes from an empty tensor; pass num_classes",
            ));
        }
        (c, _) if c < -1 => {
            return Err(Error::msg(format!(
                "one_hot: num_classes must be -1 (infer) or non-negative, got {c}"
            )));
        }
        (c, _) => c,
    };
    if let Some(&bad) = values.iter().find(|&&v| v < 0 || v >= classes) {
        return Err(Error::msg(format!(
            "one_hot: class values must be in [0, {classes}), got {bad}"
        )));
    }
    let mut shape = indices.shape().to_vec();
    shape.push(classes as usize);
    let index = indices.to_dtype(DType::I64).unsqueeze(-1);
    let ones = Tensor::ones(index.shape(), DType::I64);
    Ok(Tensor::zeros(shape, DType::I64).scatter(-1, &index, &ones))
}
