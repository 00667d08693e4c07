//! The threads CPU kernels run on: rayon's global pool, with the program's main thread as one of
//! its members.
//!
//! A rayon call from a thread outside the pool is injected into the pool, and the caller sleeps
//! on a latch until the workers finish; every parallel op then costs a sleep and a wake-up (two
//! context switches), which on a 100 µs op is a fifth of its time. PyTorch's intra-op pool and
//! candle's both have the calling thread do a share of the work instead. Here the first tensor
//! made on the main thread builds rayon's global pool with [`ThreadPoolBuilder::use_current_thread`],
//! so the main thread is the pool's thread 0: its ops split their work with the pool's other
//! threads and wait for them by working or spinning, not sleeping. The pool has as many threads
//! as rayon's default one would (`RAYON_NUM_THREADS`, else one per core), the main thread
//! among them.
//!
//! It leaves the pool alone when the program (or another library) built rayon's global pool
//! first, when [`set_main_thread_joins`] turned it off, and when the pool would have one thread
//! (where it would be the main thread alone, so a `rayon::spawn` the main thread then waits for
//! would never run). Other threads' ops are injected into the pool as before.
//!
//! [`ThreadPoolBuilder::use_current_thread`]: rayon::ThreadPoolBuilder::use_current_thread

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether the main thread may join the pool ([`crate::threads::set_main_thread_joins_pool`]).
static MAIN_THREAD_JOINS: AtomicBool = AtomicBool::new(true);

/// Whether the main thread did join the pool.
static MAIN_THREAD_JOINED: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// Whether this thread has been through [`join_pool_if_main`] already.
    static SEEN: Cell<bool> = const { Cell::new(false) };
}

/// Called for every tensor made: on the first one made on the main thread, makes that thread a
/// member of rayon's global pool (see the module doc). One thread-local read on every later call.
#[inline]
pub(crate) fn join_pool_if_main() {
    if !SEEN.get() {
        SEEN.set(true);
        join_pool_on_first_tensor();
    }
}

#[cold]
fn join_pool_on_first_tensor() {
    let is_main = std::thread::current().name() == Some("main");
    if !is_main || !MAIN_THREAD_JOINS.load(Ordering::Relaxed) {
        return;
    }
    let threads = pool_size();
    if threads < 2 {
        return;
    }
    // Fails, changing nothing, when rayon's global pool exists already.
    let built = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .use_current_thread()
        .build_global();
    MAIN_THREAD_JOINED.store(built.is_ok(), Ordering::Relaxed);
}

/// The threads rayon's default global pool would have: `RAYON_NUM_THREADS` when set to a
/// positive number, else one per core.
fn pool_size() -> usize {
    let from_env = std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0);
    from_env.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// Whether the main thread is a member of rayon's global pool.
pub(crate) fn main_thread_joined() -> bool {
    MAIN_THREAD_JOINED.load(Ordering::Relaxed)
}

/// Allows or forbids the main thread's joining; it only matters before the main thread's first
/// tensor.
pub(crate) fn set_main_thread_joins(enabled: bool) {
    MAIN_THREAD_JOINS.store(enabled, Ordering::Relaxed);
}
