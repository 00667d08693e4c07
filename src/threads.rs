//! The threads CPU ops run on (PyTorch's `torch.get_num_threads` and its intra-op pool).
//!
//! CPU kernels above a size threshold split their work over rayon's global pool. The first
//! tensor made on the program's main thread builds that pool with the main thread as one of its
//! members, as PyTorch's intra-op pool does: an op called from the main thread does a share of
//! the work itself and waits for the rest without sleeping, which saves a sleep and a wake-up
//! (two context switches) on every parallel op. The pool has as many threads as rayon's default
//! one would (`RAYON_NUM_THREADS` when set, else one per core), the main thread included.
//!
//! firebrand leaves rayon's global pool as it is when something built it before the main
//! thread's first tensor (a rayon call of your own builds it), when
//! [`set_main_thread_joins_pool`]`(false)` came first, and when the pool would have one thread.
//! Ops called from other threads always work the plain rayon way: they hand their work to the
//! pool and sleep until it is done.
//!
//! ```
//! use firebrand::{threads, DType, Tensor};
//! let x = Tensor::ones([1 << 20], DType::F32);
//! assert_eq!((&x + &x).sum().item::<f32>(), 2.0 * (1 << 20) as f32);
//! assert!(threads::num_threads() >= 1);
//! if threads::main_thread_in_pool() {
//!     assert_eq!(rayon::current_thread_index(), Some(0));
//! }
//! ```

use crate::backend::cpu::threads;

/// How many threads CPU ops split their work over (`torch.get_num_threads()`): the size of
/// rayon's global pool, the main thread included when it joined. Called on the main thread
/// before any tensor, it builds the pool as the first tensor would.
///
/// ```
/// assert!(firebrand::threads::num_threads() >= 1);
/// ```
pub fn num_threads() -> usize {
    // Asking rayon first would build its default pool and keep the main thread out.
    threads::join_pool_if_main();
    rayon::current_num_threads()
}

/// Whether the main thread is a member of rayon's global pool (see the [module](self) doc):
/// false until the main thread's first tensor, and false for good when the pool was built some
/// other way.
///
/// ```
/// use firebrand::{threads, DType, Tensor};
/// let _x = Tensor::zeros([1], DType::F32);
/// println!("main thread in the pool: {}", threads::main_thread_in_pool());
/// ```
pub fn main_thread_in_pool() -> bool {
    threads::main_thread_joined()
}

/// Allows (the default) or forbids the main thread's joining rayon's global pool. It takes effect
/// only when called before the main thread's first tensor (or first [`num_threads`]): call it at
/// the top of `main` to keep rayon's default pool, whose callers sleep while the workers run
/// their ops.
///
/// ```
/// // First thing in `main`, before any tensor exists:
/// firebrand::threads::set_main_thread_joins_pool(false);
/// let _x = firebrand::Tensor::zeros([1 << 20], firebrand::DType::F32);
/// assert!(!firebrand::threads::main_thread_in_pool());
/// ```
pub fn set_main_thread_joins_pool(enabled: bool) {
    threads::set_main_thread_joins(enabled);
}
