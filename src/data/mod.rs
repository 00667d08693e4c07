//! Data loading: the [`Dataset`] trait, [`TensorDataset`], a batching [`DataLoader`] that
//! prepares batches on a background thread, the bundled handwritten-digits set
//! ([`digits`]) and a reader for the IDX files MNIST ships in ([`read_idx`]).

mod digits;
mod idx;
mod loader;
mod split;

pub use digits::digits;
pub use idx::read_idx;
pub use loader::{BatchIter, DataLoader};
pub use split::{Subset, random_split, try_random_split};

use crate::error::{Error, Result, or_panic};
use crate::tensor::Tensor;

/// A collection of samples; each sample is a list of tensors (e.g. an image and its label).
///
/// ```
/// use firebrand::data::{Dataset, TensorDataset};
/// use firebrand::tensor;
/// let ds = TensorDataset::new(vec![tensor!([[1.0, 2.0], [3.0, 4.0]]), tensor!([0, 1])]);
/// assert_eq!(ds.len(), 2);
/// assert_eq!(ds.get(1)[0].to_vec::<f32>(), vec![3.0, 4.0]);
/// ```
pub trait Dataset: Send + Sync {
    /// The number of samples.
    fn len(&self) -> usize;

    /// True when there are no samples.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sample `index`: one tensor per field.
    fn get(&self, index: usize) -> Vec<Tensor>;

    /// The samples at `indices`, each field stacked along a new first dim. The default stacks
    /// [`Dataset::get`]; datasets held in tensors override it with one gather per field.
    fn get_batch(&self, indices: &[usize]) -> Vec<Tensor> {
        let samples: Vec<Vec<Tensor>> = indices.iter().map(|&i| self.get(i)).collect();
        let fields = samples.first().map_or(0, Vec::len);
        (0..fields)
            .map(|f| {
                let parts: Vec<&Tensor> = samples.iter().map(|s| &s[f]).collect();
                Tensor::stack(&parts, 0)
            })
            .collect()
    }
}

/// A dataset whose fields are tensors sharing their first dim (PyTorch's `TensorDataset`).
///
/// ```
/// use firebrand::data::{Dataset, TensorDataset};
/// use firebrand::tensor;
/// let ds = TensorDataset::new(vec![tensor!([[1.0], [2.0], [3.0]]), tensor!([7, 8, 9])]);
/// let batch = ds.get_batch(&[2, 0]);
/// assert_eq!(batch[1].to_vec::<i64>(), vec![9, 7]);
/// ```
#[derive(Clone)]
pub struct TensorDataset {
    fields: Vec<Tensor>,
}

impl TensorDataset {
    /// A dataset over `fields`; panics when their first dims differ.
    #[track_caller]
    pub fn new(fields: Vec<Tensor>) -> TensorDataset {
        or_panic(TensorDataset::try_new(fields))
    }

    /// [`TensorDataset::new`] returning an error when the first dims differ.
    ///
    /// ```
    /// use firebrand::{data::TensorDataset, tensor};
    /// assert!(TensorDataset::try_new(vec![tensor!([1, 2]), tensor!([1])]).is_err());
    /// ```
    pub fn try_new(fields: Vec<Tensor>) -> Result<TensorDataset> {
        let first = fields.first().map(|t| t.shape().first().copied());
        for t in &fields {
            if t.dim() == 0 || Some(t.shape().first().copied()) != first {
                return Err(Error::msg(format!(
                    "TensorDataset: every field needs the same size in dim 0, got shapes {:?}",
                    fields
                        .iter()
                        .map(|t| t.shape().to_vec())
                        .collect::<Vec<_>>()
                )));
            }
        }
        Ok(TensorDataset { fields })
    }

    /// The tensors, one per field.
    ///
    /// ```
    /// let ds = firebrand::data::TensorDataset::new(vec![firebrand::tensor!([1, 2])]);
    /// assert_eq!(ds.tensors()[0].shape(), &[2]);
    /// ```
    pub fn tensors(&self) -> &[Tensor] {
        &self.fields
    }
}

impl Dataset for TensorDataset {
    fn len(&self) -> usize {
        self.fields.first().map_or(0, |t| t.shape()[0])
    }

    fn get(&self, index: usize) -> Vec<Tensor> {
        self.fields
            .iter()
            .map(|t| t.select(0, index as isize))
            .collect()
    }
}
