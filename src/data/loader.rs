//! [`DataLoader`]: batches of a dataset, optionally shuffled with a seed, prepared on a
//! background thread while the caller trains on the previous batch.

use super::Dataset;
use crate::tensor::Tensor;
use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, sync_channel};
use std::thread::JoinHandle;

/// Batches of a [`Dataset`] (PyTorch's `DataLoader`): `batch_size`, seeded `shuffle`,
/// `drop_last`, and `prefetch` batches prepared ahead on a background thread.
///
/// ```
/// use firebrand::data::{DataLoader, TensorDataset};
/// use firebrand::tensor;
/// let ds = TensorDataset::new(vec![tensor!([[1.0], [2.0], [3.0], [4.0], [5.0]]), tensor!([0, 1, 0, 1, 0])]);
/// let loader = DataLoader::new(ds, 2).shuffle(42).drop_last(true);
/// assert_eq!(loader.len(), 2);
/// for batch in loader.iter() {
///     assert_eq!(batch[0].shape(), &[2, 1]);
///     assert_eq!(batch[1].shape(), &[2]);
/// }
/// ```
pub struct DataLoader {
    dataset: Arc<dyn Dataset>,
    batch_size: usize,
    seed: Option<u64>,
    drop_last: bool,
    prefetch: usize,
    epoch: AtomicU64,
}

impl DataLoader {
    /// Batches of `batch_size` samples in order (no shuffling, last batch kept).
    #[track_caller]
    pub fn new(dataset: impl Dataset + 'static, batch_size: usize) -> DataLoader {
        assert!(batch_size > 0, "DataLoader: batch_size must be at least 1");
        DataLoader {
            dataset: Arc::new(dataset),
            batch_size,
            seed: None,
            drop_last: false,
            prefetch: 2,
            epoch: AtomicU64::new(0),
        }
    }

    /// Shuffles every epoch; the order of epoch k depends only on `seed` and k.
    ///
    /// ```
    /// use firebrand::{data::{DataLoader, TensorDataset}, Tensor, DType};
    /// let ds = TensorDataset::new(vec![Tensor::arange(0.0, 10.0, 1.0, DType::I64)]);
    /// let order = |l: &DataLoader| l.iter().flat_map(|b| b[0].to_vec::<i64>()).collect::<Vec<_>>();
    /// let (a, b) = (DataLoader::new(ds.clone(), 4).shuffle(1), DataLoader::new(ds, 4).shuffle(1));
    /// assert_eq!(order(&a), order(&b));
    /// ```
    pub fn shuffle(mut self, seed: u64) -> DataLoader {
        self.seed = Some(seed);
        self
    }

    /// Drops the last batch when it would be smaller than `batch_size`.
    ///
    /// ```
    /// use firebrand::{data::{DataLoader, TensorDataset}, tensor};
    /// let ds = TensorDataset::new(vec![tensor!([1, 2, 3])]);
    /// assert_eq!(DataLoader::new(ds, 2).drop_last(true).len(), 1);
    /// ```
    pub fn drop_last(mut self, drop_last: bool) -> DataLoader {
        self.drop_last = drop_last;
        self
    }

    /// How many batches the background thread prepares ahead (default 2; 0 still works).
    ///
    /// ```
    /// use firebrand::{data::{DataLoader, TensorDataset}, tensor};
    /// let l = DataLoader::new(TensorDataset::new(vec![tensor!([1, 2])]), 1).prefetch(0);
    /// assert_eq!(l.iter().count(), 2);
    /// ```
    pub fn prefetch(mut self, batches: usize) -> DataLoader {
        self.prefetch = batches;
        self
    }

    /// The number of batches in one epoch.
    ///
    /// ```
    /// use firebrand::{data::{DataLoader, TensorDataset}, tensor};
    /// assert_eq!(DataLoader::new(TensorDataset::new(vec![tensor!([1, 2, 3])]), 2).len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        let n = self.dataset.len();
        if self.drop_last {
            n / self.batch_size
        } else {
            n.div_ceil(self.batch_size)
        }
    }

    /// True when an epoch has no batches.
    ///
    /// ```
    /// use firebrand::{data::{DataLoader, TensorDataset}, tensor};
    /// assert!(!DataLoader::new(TensorDataset::new(vec![tensor!([1])]), 1).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The sample order of the next epoch.
    fn next_order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.dataset.len()).collect();
        if let Some(seed) = self.seed {
            let epoch = self.epoch.fetch_add(1, Ordering::Relaxed);
            let mut rng = ChaCha8Rng::seed_from_u64(
                seed.wrapping_add(epoch.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
            );
            for i in (1..order.len()).rev() {
                let j = (rng.next_u64() % (i as u64 + 1)) as usize;
                order.swap(i, j);
            }
        }
        order
    }

    /// One epoch of batches (each a list of tensors, one per field), prepared on a background
    /// thread. Each call starts a new epoch (a new order when shuffling).
    ///
    /// ```
    /// use firebrand::{data::{DataLoader, TensorDataset}, tensor};
    /// let l = DataLoader::new(TensorDataset::new(vec![tensor!([1, 2, 3])]), 2);
    /// let sizes: Vec<usize> = l.iter().map(|b| b[0].numel()).collect();
    /// assert_eq!(sizes, vec![2, 1]);
    /// ```
    pub fn iter(&self) -> BatchIter {
        let order = self.next_order();
        let batches: Vec<Vec<usize>> = order
            .chunks(self.batch_size)
            .filter(|c| !self.drop_last || c.len() == self.batch_size)
            .map(<[usize]>::to_vec)
            .collect();
        let (tx, rx) = sync_channel(self.prefetch);
        let dataset = self.dataset.clone();
        let handle = std::thread::spawn(move || {
            let _no_grad = crate::NoGradGuard::new();
            for indices in batches {
                if tx.send(dataset.get_batch(&indices)).is_err() {
                    return;
                }
            }
        });
        BatchIter {
            rx,
            handle: Some(handle),
        }
    }
}

/// The batches of one epoch; see [`DataLoader::iter`].
pub struct BatchIter {
    rx: Receiver<Vec<Tensor>>,
    handle: Option<JoinHandle<()>>,
}

impl Iterator for BatchIter {
    type Item = Vec<Tensor>;

    fn next(&mut self) -> Option<Vec<Tensor>> {
        match self.rx.recv() {
            Ok(batch) => Some(batch),
            Err(_) => {
                // The producer finished or panicked: surface a panic in the caller's thread.
                if let Some(Err(panic)) = self.handle.take().map(JoinHandle::join) {
                    std::panic::resume_unwind(panic);
                }
                None
            }
        }
    }
}
