//! The CPU buffer cache: what it holds, its limit, and emptying it (PyTorch's
//! `torch.cuda.memory_stats` / `empty_cache`, for host memory).
//!
//! firebrand keeps large host buffers of dropped tensors (256 KiB and up) and reuses them for
//! the next outputs of the same dtype and size class, so big elementwise ops do not page-fault
//! fresh memory every time. The cache holds at most [`cpu_cache_limit`] bytes (1 GiB unless
//! set); it never holds memory a live tensor uses.
//!
//! ```
//! use firebrand::{memory, DType, Tensor};
//! let x = Tensor::ones([1 << 20], DType::F32); // 4 MiB
//! drop(x);
//! assert!(memory::cpu_cache_stats().cached_bytes >= 4 << 20);
//! memory::empty_cpu_cache();
//! ```

use crate::backend::cpu::pool;

/// A snapshot of the CPU buffer cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CpuCacheStats {
    /// Bytes held in cached (free) buffers.
    pub cached_bytes: usize,
    /// How many buffers are cached.
    pub cached_blocks: usize,
    /// Large allocations served from the cache since the process started.
    pub hits: u64,
    /// Large allocations that found no cached buffer and asked the system allocator.
    pub misses: u64,
}

/// What the CPU buffer cache holds now, and how often it has served a large allocation.
///
/// ```
/// let s = firebrand::memory::cpu_cache_stats();
/// assert!(s.cached_bytes <= firebrand::memory::cpu_cache_limit());
/// ```
pub fn cpu_cache_stats() -> CpuCacheStats {
    let (cached_bytes, cached_blocks, hits, misses) = pool::stats();
    CpuCacheStats {
        cached_bytes,
        cached_blocks,
        hits,
        misses,
    }
}

/// The most bytes the CPU buffer cache keeps (1 GiB unless set).
///
/// ```
/// assert!(firebrand::memory::cpu_cache_limit() > 0);
/// ```
pub fn cpu_cache_limit() -> usize {
    pool::limit()
}

/// Sets the most bytes the CPU buffer cache keeps, freeing cached buffers past it at once;
/// 0 turns caching off.
///
/// ```
/// use firebrand::memory;
/// let before = memory::cpu_cache_limit();
/// memory::set_cpu_cache_limit(256 << 20);
/// assert_eq!(memory::cpu_cache_limit(), 256 << 20);
/// memory::set_cpu_cache_limit(before);
/// ```
pub fn set_cpu_cache_limit(bytes: usize) {
    pool::set_limit(bytes);
}

/// Whether fresh large host buffers (2 MiB and up) ask the kernel for transparent huge pages
/// (on by default; Linux only, elsewhere a no-op). PyTorch's `THP_MEM_ALLOC_ENABLE=1` is the
/// same request.
///
/// ```
/// // On unless something turned it off (doctests may share a process, so not asserted here).
/// let on: bool = firebrand::memory::cpu_huge_pages();
/// println!("huge pages for large host buffers: {on}");
/// ```
pub fn cpu_huge_pages() -> bool {
    pool::huge_pages()
}

/// Turns the huge-page request for fresh large host buffers on or off. Huge pages make big
/// tensors cheaper to fault in and to stream through (fewer TLB misses); turn them off if the
/// kernel's compaction stalls matter more to you than throughput. Buffers already made keep
/// their pages.
///
/// ```
/// use firebrand::memory;
/// memory::set_cpu_huge_pages(false);
/// assert!(!memory::cpu_huge_pages());
/// memory::set_cpu_huge_pages(true);
/// ```
pub fn set_cpu_huge_pages(enabled: bool) {
    pool::set_huge_pages(enabled);
}

/// Frees every cached CPU buffer back to the system allocator (`torch.cuda.empty_cache` for
/// host memory). Live tensors are untouched.
///
/// ```
/// firebrand::memory::empty_cpu_cache();
/// ```
pub fn empty_cpu_cache() {
    pool::clear();
}
