//! [`Subset`] and [`random_split`]: a seeded split of a dataset into parts (PyTorch's
//! `torch.utils.data.random_split`).

use super::Dataset;
use crate::error::{Error, Result, or_panic};
use crate::tensor::Tensor;
use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use std::sync::Arc;

/// The samples of a dataset at chosen indices, as PyTorch's `Subset`.
///
/// ```
/// use firebrand::data::{Dataset, Subset, TensorDataset};
/// use firebrand::tensor;
/// let ds = TensorDataset::new(vec![tensor!([10, 20, 30])]);
/// let sub = Subset::new(ds, vec![2, 0]);
/// assert_eq!(sub.len(), 2);
/// assert_eq!(sub.get(0)[0].item::<i64>(), 30);
/// ```
#[derive(Clone)]
pub struct Subset {
    dataset: Arc<dyn Dataset>,
    indices: Vec<usize>,
}

impl Subset {
    /// The samples of `dataset` at `indices`; panics when an index is out of range.
    #[track_caller]
    pub fn new(dataset: impl Dataset + 'static, indices: Vec<usize>) -> Subset {
        Subset::of_shared(Arc::new(dataset), indices)
    }

    #[track_caller]
    fn of_shared(dataset: Arc<dyn Dataset>, indices: Vec<usize>) -> Subset {
        let len = dataset.len();
        if let Some(bad) = indices.iter().find(|&&i| i >= len) {
            panic!("Subset: index {bad} is out of range for a dataset of {len} samples");
        }
        Subset { dataset, indices }
    }

    /// The indices into the underlying dataset.
    ///
    /// ```
    /// use firebrand::{data::{Subset, TensorDataset}, tensor};
    /// assert_eq!(Subset::new(TensorDataset::new(vec![tensor!([1, 2])]), vec![1]).indices(), &[1]);
    /// ```
    pub fn indices(&self) -> &[usize] {
        &self.indices
    }
}

impl Dataset for Subset {
    fn len(&self) -> usize {
        self.indices.len()
    }

    fn get(&self, index: usize) -> Vec<Tensor> {
        self.dataset.get(self.indices[index])
    }

    fn get_batch(&self, indices: &[usize]) -> Vec<Tensor> {
        let mapped: Vec<usize> = indices.iter().map(|&i| self.indices[i]).collect();
        self.dataset.get_batch(&mapped)
    }
}

/// Splits `dataset` at random into parts of the given `lengths` (which must add up to its
/// length); the same `seed` gives the same split.
///
/// ```
/// use firebrand::data::{random_split, Dataset, TensorDataset};
/// use firebrand::{DType, Tensor};
/// let ds = TensorDataset::new(vec![Tensor::arange(0.0, 10.0, 1.0, DType::I64)]);
/// let parts = random_split(ds, &[8, 2], 42);
/// assert_eq!((parts[0].len(), parts[1].len()), (8, 2));
/// ```
#[track_caller]
pub fn random_split(dataset: impl Dataset + 'static, lengths: &[usize], seed: u64) -> Vec<Subset> {
    or_panic(try_random_split(dataset, lengths, seed))
}

/// [`random_split`] returning an error when the lengths do not add up.
///
/// ```
/// use firebrand::data::{try_random_split, TensorDataset};
/// use firebrand::tensor;
/// assert!(try_random_split(TensorDataset::new(vec![tensor!([1, 2, 3])]), &[1, 1], 0).is_err());
/// ```
pub fn try_random_split(
    dataset: impl Dataset + 'static,
    lengths: &[usize],
    seed: u64,
) -> Result<Vec<Subset>> {
    let total = dataset.len();
    let sum = lengths
        .iter()
        .try_fold(0usize, |acc, &len| acc.checked_add(len));
    if sum != Some(total) {
        let sum = sum.map_or("more than usize::MAX".to_string(), |s| s.to_string());
        return Err(Error::msg(format!(
            "random_split: lengths {lengths:?} add up to {sum}, but the dataset has {total} samples"
        )));
    }
    let mut order: Vec<usize> = (0..total).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for i in (1..order.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    let shared: Arc<dyn Dataset> = Arc::new(dataset);
    let mut start = 0;
    Ok(lengths
        .iter()
        .map(|&len| {
            let part = Subset::of_shared(shared.clone(), order[start..start + len].to_vec());
            start += len;
            part
        })
        .collect())
}
