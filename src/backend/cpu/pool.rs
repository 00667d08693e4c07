//! Output buffers for CPU kernels. Every kernel that makes a new output asks here, so large
//! buffers freed by dropped tensors can be reused instead of page-faulted afresh.
//!
//! (First version: plain allocation. The size-bucketed reuse lands next; kernels already
//! allocate through these two functions so they need no change when it does.)

#![allow(dead_code)] // until the kernels are moved onto it (same change series)

use crate::storage::StorageElement;

/// An empty vector with room for at least `n` elements.
pub(crate) fn with_capacity<T: StorageElement>(n: usize) -> Vec<T> {
    Vec::with_capacity(n)
}

/// A vector of `n` copies of `value`.
pub(crate) fn filled<T: StorageElement>(n: usize, value: T) -> Vec<T> {
    let mut v = with_capacity(n);
    v.resize(n, value);
    v
}
