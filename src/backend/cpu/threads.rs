//! How the main thread joins rayon's global pool; what it does and when it stays out is
//! documented on the public face, [`crate::threads`].
//!
//! The first tensor made on the thread named "main" builds the global pool with
//! [`ThreadPoolBuilder::use_current_thread`], so that thread is member 0. Only that thread: one
//! that joined and later exited would leave a dead member, and libtest's threads do exit.
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
