//! Output buffers for CPU kernels: a size-bucketed cache of freed host buffers, as PyTorch's
//! CUDA caching allocator keeps freed device blocks.
//!
//! Every kernel that makes a new output asks here ([`with_capacity`], [`filled`]), and every
//! dropped tensor storage comes back here ([`recycle`]). A large buffer that glibc would hand
//! back to the kernel on `free` (and page-fault afresh, 4 KiB at a time, on the next op) is
//! instead kept and reused by the next op of the same dtype and size class. On this machine
//! that is the difference between 48 ms and 7 ms for `relu` over 2^24 floats.
//!
//! Small buffers (under [`MIN_POOLED_BYTES`]) go straight to the allocator, which is fast for
//! them. Sizes are rounded up to one of eight classes per power of two, so a cached block
//! serves any request within 12.5% of its size. The cache holds at most
//! [`limit`] bytes (1 GiB unless changed); past that it frees its least recently used blocks.
//!
//! On Linux a fresh buffer of [`HUGE_PAGE_BYTES`] or more is marked for transparent huge pages
//! (`madvise(MADV_HUGEPAGE)`) before anything touches it, so the kernel backs it with 2 MiB
//! pages: one page fault and one TLB entry per 2 MiB instead of 512. Streaming over 64 MiB
//! took 5-15% less time so (a sum over 2^24 floats 15%; docs/PERFORMANCE.md, session 9).

use crate::dtype::DType;
use crate::storage::{CpuStorage, StorageElement};
use std::mem::MaybeUninit;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Buffers smaller than this are not cached: the allocator serves them without page faults.
pub(crate) const MIN_POOLED_BYTES: usize = 1 << 18;

/// The cache limit when none is set.
const DEFAULT_LIMIT_BYTES: usize = 1 << 30;

/// The size of a transparent huge page on x86-64 and most aarch64 kernels; fresh buffers at
/// least this large ask for huge pages.
pub(crate) const HUGE_PAGE_BYTES: usize = 2 << 20;

/// Whether fresh large buffers ask for huge pages ([`crate::memory::set_cpu_huge_pages`]).
static HUGE_PAGES: AtomicBool = AtomicBool::new(true);

/// One cached buffer and when it was last given back.
struct Block {
    storage: CpuStorage,
    bytes: usize,
    returned_at: u64,
}

/// The cache: a short list of blocks (at most `limit / MIN_POOLED_BYTES`, usually a few dozen).
struct Pool {
    blocks: Vec<Block>,
    cached_bytes: usize,
    limit: usize,
    clock: u64,
    hits: u64,
    misses: u64,
}

static POOL: Mutex<Pool> = Mutex::new(Pool::new());

fn pool() -> std::sync::MutexGuard<'static, Pool> {
    POOL.lock().unwrap_or_else(|e| e.into_inner())
}

/// `n` rounded up to its size class: eight classes per power of two (so at most 12.5% over).
pub(crate) fn size_class(n: usize) -> usize {
    if n <= 8 {
        return n;
    }
    let step = 1usize << (usize::BITS - 1 - n.leading_zeros() - 3);
    n.div_ceil(step) * step
}

fn is_pooled<T>(len: usize) -> bool {
    len.saturating_mul(size_of::<T>()) >= MIN_POOLED_BYTES
}

/// An empty vector with room for at least `n` elements; a cached buffer when one of the right
/// dtype and size class is free.
pub(crate) fn with_capacity<T: StorageElement>(n: usize) -> Vec<T> {
    if !is_pooled::<T>(n) {
        return Vec::with_capacity(n);
    }
    let class = size_class(n);
    if let Some(storage) = pool().take(T::DTYPE, class) {
        let mut v = T::from_storage(storage).expect("internal: pool block of the wrong dtype");
        v.clear();
        return v;
    }
    fresh(class)
}

/// A new, untouched vector with room for `capacity` elements, marked for huge pages when it is
/// large enough and they are on.
fn fresh<T>(capacity: usize) -> Vec<T> {
    let v = Vec::with_capacity(capacity);
    if huge_pages() {
        advise_huge_pages(v.as_ptr() as usize, capacity * size_of::<T>());
    }
    v
}

/// Whether fresh large buffers ask for huge pages.
pub(crate) fn huge_pages() -> bool {
    HUGE_PAGES.load(Ordering::Relaxed)
}

/// Turns the huge-page request for fresh large buffers on or off.
pub(crate) fn set_huge_pages(enabled: bool) {
    HUGE_PAGES.store(enabled, Ordering::Relaxed);
}

/// Asks the kernel to back the whole huge pages inside `[start, start + bytes)` with
/// transparent huge pages. A hint: it returns whether the kernel took it (false off Linux, with
/// THP compiled out, or when no whole huge page fits), and the memory works either way.
#[cfg(target_os = "linux")]
fn advise_huge_pages(start: usize, bytes: usize) -> bool {
    let first = start.next_multiple_of(HUGE_PAGE_BYTES);
    let end = (start + bytes) / HUGE_PAGE_BYTES * HUGE_PAGE_BYTES;
    if end <= first {
        return false;
    }
    // SAFETY: `[first, end)` lies inside the allocation `[start, start + bytes)` (rounded inward
    // to huge-page bounds, so it is page-aligned) which the caller owns. MADV_HUGEPAGE changes
    // only which page size the kernel backs that range with: no mapping, content or permission
    // changes, so no reference into the buffer is affected.
    let status =
        unsafe { libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE) };
    status == 0
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages(_start: usize, _bytes: usize) -> bool {
    false
}

/// A vector of `n` copies of `value`.
pub(crate) fn filled<T: StorageElement>(n: usize, value: T) -> Vec<T> {
    let mut v = with_capacity(n);
    v.resize(n, value);
    v
}

/// A vector of `n` elements written by `fill`, without zeroing them first: one pass over
/// memory less than [`filled`], and fresh pages are first touched by the threads that fill.
///
/// # Safety
/// `fill` must initialise every element of the slice it is given.
pub(crate) unsafe fn written<T: StorageElement>(
    n: usize,
    fill: impl FnOnce(&mut [MaybeUninit<T>]),
) -> Vec<T> {
    let mut v = with_capacity::<T>(n);
    fill(&mut v.spare_capacity_mut()[..n]);
    // SAFETY: the capacity is at least `n` (`with_capacity`), and `fill` initialised elements
    // `0..n` (the caller's contract).
    unsafe { v.set_len(n) };
    v
}

/// Takes back the buffer of a dropped storage: cached when it is large and of a size class,
/// freed otherwise.
pub(crate) fn recycle(storage: CpuStorage) {
    let capacity = storage.capacity();
    let bytes = capacity * storage.dtype().size_in_bytes();
    if bytes < MIN_POOLED_BYTES || size_class(capacity) != capacity {
        return;
    }
    let evicted = pool().give(storage, bytes);
    drop(evicted); // freed outside the lock
}

impl Pool {
    /// An empty cache with the default limit.
    const fn new() -> Pool {
        Pool {
            blocks: Vec::new(),
            cached_bytes: 0,
            limit: DEFAULT_LIMIT_BYTES,
            clock: 0,
            hits: 0,
            misses: 0,
        }
    }

    /// Takes a block of `dtype` and `capacity`: of several, the most recently returned, whose
    /// memory is the likeliest to be still in cache (last in, first out, as caching
    /// allocators reuse). Taking the first in the list made a loop of one op rotate through
    /// every cached block of its class. (`add_f32_1M` did not measurably change with this:
    /// docs/PERFORMANCE.md, session 7.)
    fn take(&mut self, dtype: DType, capacity: usize) -> Option<CpuStorage> {
        let found = (self.blocks.iter().enumerate())
            .filter(|(_, b)| b.storage.dtype() == dtype && b.storage.capacity() == capacity)
            .max_by_key(|(_, b)| b.returned_at)
            .map(|(i, _)| i);
        match found {
            Some(i) => {
                self.hits += 1;
                let block = self.blocks.swap_remove(i);
                self.cached_bytes -= block.bytes;
                Some(block.storage)
            }
            None => {
                self.misses += 1;
                None
            }
        }
    }

    /// Caches `storage`; returns the blocks pushed out to stay under the limit.
    fn give(&mut self, storage: CpuStorage, bytes: usize) -> Vec<Block> {
        self.clock += 1;
        self.blocks.push(Block {
            storage,
            bytes,
            returned_at: self.clock,
        });
        self.cached_bytes += bytes;
        self.shrink_to(self.limit)
    }

    /// Removes least recently returned blocks until at most `limit` bytes are cached.
    fn shrink_to(&mut self, limit: usize) -> Vec<Block> {
        let mut evicted = Vec::new();
        while self.cached_bytes > limit {
            let oldest = (0..self.blocks.len())
                .min_by_key(|&i| self.blocks[i].returned_at)
                .expect("internal: cached bytes without blocks");
            let block = self.blocks.swap_remove(oldest);
            self.cached_bytes -= block.bytes;
            evicted.push(block);
        }
        evicted
    }
}

/// What the cache holds and how it has served, for [`crate::memory::cpu_cache_stats`].
pub(crate) fn stats() -> (usize, usize, u64, u64) {
    let p = pool();
    (p.cached_bytes, p.blocks.len(), p.hits, p.misses)
}

/// The most bytes the cache keeps.
pub(crate) fn limit() -> usize {
    pool().limit
}

/// Sets the most bytes the cache keeps, freeing blocks past it.
pub(crate) fn set_limit(bytes: usize) {
    let evicted = {
        let mut p = pool();
        p.limit = bytes;
        p.shrink_to(bytes)
    };
    drop(evicted);
}

/// Frees every cached block.
pub(crate) fn clear() {
    let evicted = pool().shrink_to(0);
    drop(evicted);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_classes_are_within_an_eighth_and_stable() {
        assert_eq!(size_class(5), 5);
        assert_eq!(size_class(16), 16);
        assert_eq!(size_class(17), 18);
        assert_eq!(size_class(1 << 20), 1 << 20);
        assert_eq!(size_class((1 << 20) + 1), (1 << 20) + (1 << 17));
        for n in [9usize, 100, 1000, 65_537, 1 << 24, (1 << 24) + 3, 3_000_001] {
            let c = size_class(n);
            assert!(c >= n && c - n <= n / 8, "{n} -> {c}");
            assert_eq!(size_class(c), c, "a class is its own class");
        }
    }

    #[test]
    fn take_hands_back_the_most_recently_returned_block() {
        let mut pool = Pool::new();
        let n = 1 << 16;
        let give = |pool: &mut Pool, marker: f32| {
            let evicted = pool.give(f32::into_storage(vec![marker; n]), n * 4);
            assert!(evicted.is_empty());
        };
        let take = |pool: &mut Pool| {
            let storage = pool.take(DType::F32, n).expect("a cached block");
            f32::from_storage(storage).expect("an f32 block")[0]
        };
        for marker in [1.0, 2.0, 3.0] {
            give(&mut pool, marker);
        }
        assert_eq!(take(&mut pool), 3.0);
        give(&mut pool, 4.0);
        assert_eq!(take(&mut pool), 4.0);
        assert_eq!(take(&mut pool), 2.0);
        assert_eq!(take(&mut pool), 1.0);
        assert!(pool.take(DType::F32, n).is_none());
        assert!(pool.take(DType::F64, n / 2).is_none());
    }

    #[test]
    fn huge_page_advice_covers_only_whole_pages_inside_the_buffer() {
        assert!(!advise_huge_pages(HUGE_PAGE_BYTES + 4096, HUGE_PAGE_BYTES));
        assert!(!advise_huge_pages(0, 0));
    }

    /// On Linux with THP in `madvise` or `always` mode, a fresh 40 MiB buffer from the pool is
    /// backed by huge pages once written (read back from `/proc/self/smaps`). Skips, saying
    /// so, where THP is off or absent.
    ///
    /// 40 MiB is past glibc's largest mmap threshold (32 MiB on 64-bit), so the buffer is a
    /// fresh mapping whatever other tests have freed. At 16 MiB it failed twice in full runs
    /// (0 KiB of huge pages) and never alone: glibc raises its threshold after freeing a large
    /// chunk, and may then serve 16 MiB from heap pages other tests had already touched.
    #[test]
    #[cfg(target_os = "linux")]
    fn fresh_large_buffers_are_backed_by_huge_pages() {
        let mode = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled");
        if !mode.as_deref().is_ok_and(|m| !m.contains("[never]")) {
            eprintln!("skipped: transparent huge pages are off here ({mode:?})");
            return;
        }
        let n = (40 << 20) / 4 + 1024; // a size class no other test asks for: a fresh buffer
        let mut v = with_capacity::<f32>(n);
        assert!(v.capacity() >= n);
        v.resize(n, 1.0);
        let (start, end) = (v.as_ptr() as usize, v.as_ptr() as usize + n * 4);
        let huge_kib = huge_kib_within(start, end);
        assert!(
            huge_kib >= 2048,
            "a written 40 MiB pool buffer has {huge_kib} KiB of AnonHugePages"
        );
    }

    /// The `AnonHugePages` of the mappings in `/proc/self/smaps` that overlap `[start, end)`.
    #[cfg(target_os = "linux")]
    fn huge_kib_within(start: usize, end: usize) -> usize {
        let smaps = std::fs::read_to_string("/proc/self/smaps").expect("/proc/self/smaps");
        let mut overlaps = false;
        let mut total = 0;
        for line in smaps.lines() {
            let first = line.split_whitespace().next().unwrap_or("");
            if let Some((lo, hi)) = first.split_once('-')
                && let (Ok(lo), Ok(hi)) =
                    (usize::from_str_radix(lo, 16), usize::from_str_radix(hi, 16))
            {
                overlaps = lo < end && start < hi;
            } else if overlaps && let Some(kib) = line.strip_prefix("AnonHugePages:") {
                total += kib
                    .trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<usize>()
                    .unwrap_or(0);
            }
        }
        total
    }

    #[test]
    fn written_keeps_every_element_the_fill_wrote() {
        let n = 1 << 17; // 512 KiB of f32: served by the cache
        // SAFETY: the closure writes every element of the slice.
        let v = unsafe {
            written::<f32>(n, |dst| {
                for (i, d) in dst.iter_mut().enumerate() {
                    d.write(i as f32);
                }
            })
        };
        assert_eq!(v.len(), n);
        assert!(v.iter().enumerate().all(|(i, &x)| x == i as f32));
        // SAFETY: an empty buffer has no element to write.
        let empty = unsafe { written::<f64>(0, |dst| assert!(dst.is_empty())) };
        assert!(empty.is_empty());
    }
}
